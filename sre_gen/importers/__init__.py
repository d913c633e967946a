"""``sre-gen import``: translate Sloth and OpenSLO documents into sre-gen specs.

``source`` reads the input documents with their positions and holds what every importer shares
(the unmapped list, name and query translation); ``sloth`` and ``openslo`` map one format each;
``writer`` emits a commented spec. Nothing is dropped silently: what has no sre-gen equivalent
is an ``Unmapped`` item with its file, line and column, written into the spec as a comment and
printed as a warning."""
