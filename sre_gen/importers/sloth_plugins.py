"""Sloth's published SLI plugins, translated: the error-ratio query each one returns for its
options, so ``sre-gen import sloth`` imports an SLO whose SLI is a known plugin without running
Go code (the query then takes the path of Sloth's ``raw.error_ratio_query``).

Sources (query templates copied from each plugin's ``queryTpl``, options from its ``SLIPlugin``;
never written anew):
- ``getting_started_availability``: github.com/slok/sloth, commit
  0e395d81513ff701f5d27b7aa47d794cb764fd5e, examples/plugins/getting-started/availability/plugin.go;
- ``sloth-common/...``: github.com/slok/sloth-common-sli-plugins, commit
  8fe474063dbccf340a661493785b195373832b5b, plugins/<path>/plugin.go (``Plugin.source``).
``sloth-common/fake`` (a burn-rate generator for demos, from the SLO objective and the clock) is
not catalogued.

Options are validated and escaped, never pasted: a filter is parsed into label matchers
(``name op "value"``, comma separated, optionally in braces) and written back with PromQL quoting
(a plugin whose Go code accepts only ``name="value"`` matchers accepts only those here); label
values are quoted; regexes must compile; a bucket must be a number; booleans are Go's
``strconv.ParseBool`` spellings. An option the plugin does not read is refused (a misspelt
``fitler`` would silently widen the SLI), as are missing required options.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sre_gen import promql

SLOTH_COMMIT = "0e395d81513ff701f5d27b7aa47d794cb764fd5e"
COMMON_COMMIT = "8fe474063dbccf340a661493785b195373832b5b"


class PluginError(ValueError):
    """An option value the plugin (or its translation) does not accept: ``option`` names it."""

    def __init__(self, option: str | None, message: str):
        super().__init__(message)
        self.option = option


@dataclass(frozen=True)
class Option:
    kind: str  # filter | value | regex | bucket | bool
    required: bool = False
    eq_only: bool = False  # filter: only name="value" matchers (the plugin's own check)
    default: str = ""


@dataclass(frozen=True)
class Plugin:
    id: str
    source: str  # repository, commit and file of the plugin
    template: str  # the plugin's queryTpl (Go template text)
    options: dict[str, Option] = field(default_factory=dict)
    # template field -> option name, or ("filter", suffix): the filter's matchers joined by ","
    # plus ``suffix`` when there is one (each plugin puts its commas in its own way)
    data: dict[str, object] = field(default_factory=dict)
    required_labels: tuple[str, ...] = ()  # SLO labels the plugin insists on
    exclude_errors: bool = False  # option exclude_errors adds code!~"5.." to the filter


_FILTER = ("filter", ",")
_BARE = ("filter", "")
_F = Option("filter")
_F_EQ = Option("filter", eq_only=True)
_BUCKET = Option("bucket", required=True)
_EXCLUDE = Option("bool")


def _common(path: str) -> str:
    return f"github.com/slok/sloth-common-sli-plugins@{COMMON_COMMIT[:12]}:plugins/{path}/plugin.go"



CATALOGUE: dict[str, Plugin] = {p.id: p for p in (
    Plugin(
        "getting_started_availability",
        f"github.com/slok/sloth@{SLOTH_COMMIT[:12]}:"
        "examples/plugins/getting-started/availability/plugin.go",
        '\nsum(rate(http_request_duration_seconds_count{ {{.filter}}job="{{.job}}",'
        'code=~"(5..|429)" }[{{"{{.window}}"}}]))\n/\nsum(rate(http_request_duration_seconds_'
        'count{ {{.filter}}job="{{.job}}" }[{{"{{.window}}"}}]))',
        {"job": Option("value", required=True), "filter": _F_EQ},
        {"filter": _FILTER, "job": "job"}, required_labels=("owner", "tier")),
    Plugin(
        "sloth-common/coredns/availability", _common("coredns/availability"),
        '\nsum(rate(coredns_dns_responses_total{ {{.filterError}}rcode=~"{{.rcodeRegex}}" }'
        '[{{"{{.window}}"}}]))\n/\n(sum(rate(coredns_dns_responses_total{ {{.filterTotal}} }'
        '[{{"{{.window}}"}}])) > 0)\n',
        {"filter": _F, "custom_rcode_regex": Option("regex", default="SERVFAIL")},
        {"filterError": _FILTER, "filterTotal": _BARE, "rcodeRegex": "custom_rcode_regex"}),
    Plugin(
        "sloth-common/coredns/latency", _common("coredns/latency"),
        '\n1 - ((\n  sum(rate(coredns_dns_request_duration_seconds_bucket{ {{ .filterError }}'
        'le="{{ .bucket }}" }[{{"{{ .window }}"}}]))\n  /\n  (sum(rate(coredns_dns_request_'
        'duration_seconds_count{ {{ .filterTotal }} }[{{"{{ .window }}"}}])) > 0)\n) OR on() '
        'vector(1))\n',
        {"filter": _F, "bucket": _BUCKET},
        {"filterError": _FILTER, "filterTotal": _BARE, "bucket": "bucket"}),
    Plugin(
        "sloth-common/haproxy/frontend/availability", _common("haproxy/frontend/availability"),
        '\nsum(rate(haproxy_frontend_http_responses_total{ {{.filterError}}code="5xx" }'
        '[{{"{{.window}}"}}]))\n/\nsum(rate(haproxy_frontend_http_responses_total'
        '{ {{.filterTotal}} }[{{"{{.window}}"}}]))\n',
        {"filter": _F}, {"filterError": _FILTER, "filterTotal": _FILTER}),
    Plugin(
        "sloth-common/istio/v1/availability", _common("istio/v1/availability"),
        '\n(\n  sum(rate(istio_requests_total{ {{.filter}}destination_service_name="{{.service}}",'
        'destination_service_namespace="{{.namespace}}",response_code=~"(5..|429)" }'
        '[{{"{{.window}}"}}])) \n  /          \n  (sum(rate(istio_requests_total{ {{.filter}}'
        'destination_service_name="{{.service}}",destination_service_namespace="{{.namespace}}" }'
        '[{{"{{.window}}"}}])) > 0)\n) OR on() vector(0)\n',
        {"filter": _F, "service": Option("value", required=True),
         "namespace": Option("value", required=True)},
        {"filter": _FILTER, "service": "service", "namespace": "namespace"}),
    Plugin(
        "sloth-common/istio/v1/latency", _common("istio/v1/latency"),
        '\n1 - ((\n  sum(rate(istio_request_duration_milliseconds_bucket{ {{.filter}}destination_'
        'service_name="{{.service}}",destination_service_namespace="{{.namespace}}",'
        'le="{{.bucket}}" }[{{"{{.window}}"}}]))\n  /\n  (sum(rate(istio_request_duration_'
        'milliseconds_count{ {{.filter}}destination_service_name="{{.service}}",destination_'
        'service_namespace="{{.namespace}}" }[{{"{{.window}}"}}])) > 0)\n) OR on() vector(1))\n',
        {"filter": _F, "bucket": _BUCKET, "service": Option("value", required=True),
         "namespace": Option("value", required=True), "exclude_errors": _EXCLUDE},
        {"filter": _FILTER, "service": "service", "namespace": "namespace", "bucket": "bucket"},
        exclude_errors=True),
    Plugin(
        "sloth-common/kubernetes/apiserver/availability",
        _common("kubernetes/apiserver/availability"),
        '\nsum(rate(apiserver_request_total{ {{.filterError}}code=~"(5..|429)" }'
        '[{{"{{.window}}"}}]))\n/\nsum(rate(apiserver_request_total{ {{.filterTotal}} }'
        '[{{"{{.window}}"}}]))\n',
        {"filter": _F_EQ}, {"filterError": _FILTER, "filterTotal": _BARE}),
    Plugin(
        "sloth-common/kubernetes/apiserver/latency", _common("kubernetes/apiserver/latency"),
        '\n(\n  sum(rate(apiserver_request_duration_seconds_count{ {{.filter}}verb!="WATCH" }'
        '[{{"{{.window}}"}}]))\n  -\n  sum(rate(apiserver_request_duration_seconds_bucket'
        '{ {{.filter}}le="{{.bucket}}",verb!="WATCH" }[{{"{{.window}}"}}]))\n)\n/\nsum(rate('
        'apiserver_request_duration_seconds_count{ {{.filter}}verb!="WATCH" }'
        '[{{"{{.window}}"}}]))\n',
        {"filter": _F_EQ, "bucket": _BUCKET}, {"filter": _FILTER, "bucket": "bucket"}),
    Plugin(
        "sloth-common/kubernetes/kooper/availability", _common("kubernetes/kooper/availability"),
        '\n(\n  sum(rate(kooper_controller_processed_event_duration_seconds_count{ {{ .filter }}'
        'controller="{{ .controller }}",success="false" }[{{"{{ .window }}"}}]))\n  /\n  ((\n'
        '    sum(rate(kooper_controller_processed_event_duration_seconds_count{ {{ .filter }}'
        'controller="{{ .controller }}" }[{{"{{ .window }}"}}]))\n    -\n    (sum(rate(kooper_'
        'controller_queued_events_total{ {{ .filter }}controller="{{ .controller }}",'
        'requeue="true" }[{{"{{ .window }}"}}])) OR on() vector(0))\n  ) > 0)\n) OR on() '
        'vector(0)\n',
        {"filter": _F, "controller": Option("value", required=True)},
        {"filter": _FILTER, "controller": "controller"}),
    Plugin(
        "sloth-common/kubernetes/kooper/latency", _common("kubernetes/kooper/latency"),
        '\n1 - ((\n  sum(rate(kooper_controller_processed_event_duration_seconds_bucket'
        '{ {{ .filter }}controller="{{ .controller }}",le="{{ .bucket }}" }'
        '[{{"{{ .window }}"}}]))\n  /\n  (sum(rate(kooper_controller_processed_event_duration_'
        'seconds_count{ {{ .filter }}controller="{{ .controller }}" }[{{"{{ .window }}"}}])) > 0)'
        '\n) OR on() vector(1))\n',
        {"filter": _F, "controller": Option("value", required=True), "bucket": _BUCKET},
        {"filter": _FILTER, "controller": "controller", "bucket": "bucket"}),
    Plugin(
        "sloth-common/kubernetes/kooper/queue-congestion",
        _common("kubernetes/kooper/queuecongestion"),
        '\n1 - ((\n  sum(rate(kooper_controller_event_in_queue_duration_seconds_bucket'
        '{ {{ .filter }}controller="{{ .controller }}",le="{{ .bucket }}" }'
        '[{{"{{ .window }}"}}]))\n  /\n  (sum(rate(kooper_controller_event_in_queue_duration_'
        'seconds_count{ {{ .filter }}controller="{{ .controller }}" }[{{"{{ .window }}"}}])) > 0)'
        '\n) OR on() vector(1))\n',
        {"filter": _F, "controller": Option("value", required=True), "bucket": _BUCKET},
        {"filter": _FILTER, "controller": "controller", "bucket": "bucket"}),
    Plugin(
        "sloth-common/kubernetes/nginx-ingress/availability",
        _common("kubernetes/nginx-ingress/availability"),
        '\nsum(rate(nginx_ingress_controller_requests{ {{.filterError}}status=~"(5..|429)" }'
        '[{{"{{.window}}"}}]))\n/\nsum(rate(nginx_ingress_controller_requests'
        '{ {{.filterTotal}} }[{{"{{.window}}"}}]))\nor on() vector(0)\n',
        {"filter": _F_EQ}, {"filterError": _FILTER, "filterTotal": _BARE}),
    Plugin(
        "sloth-common/noop", _common("noop"), "max_over_time(vector(0)[{{.window}}:])"),
    Plugin(
        "sloth-common/prometheus/rules/eval-availability",
        _common("prometheus/rules/evalavailability"),
        '\nsum(rate(prometheus_rule_evaluation_failures_total{ {{.filter}} }'
        '[{{"{{ .window }}"}}]))\n/\nsum(rate(prometheus_rule_evaluations_total{ {{.filter}} }'
        '[{{"{{ .window }}"}}]))\n',
        {"filter": _F}, {"filter": _BARE}),
    Plugin(
        "sloth-common/prometheus/targets/availability",
        _common("prometheus/targets/availability"),
        '\nsum(count_over_time((up{ {{.filter}} } == 0)[{{"{{ .window }}"}}:])) or vector(0)\n/'
        '\nsum(count_over_time((up{ {{.filter}} })[{{"{{ .window }}"}}:]))\n',
        {"filter": _F}, {"filter": _BARE}),
    Plugin(
        "sloth-common/slok-go-http-metrics/availability",
        _common("slok-go-http-metrics/availability"),
        '\nsum(rate(http_request_duration_seconds_count{ {{.filterError}}code=~"(5..|429)" }'
        '[{{"{{.window}}"}}]))\n/\nsum(rate(http_request_duration_seconds_count'
        '{ {{.filterTotal}} }[{{"{{.window}}"}}]))\n',
        {"filter": Option("filter", required=True, eq_only=True)},
        {"filterError": _FILTER, "filterTotal": _BARE}),
    Plugin(
        "sloth-common/slok-go-http-metrics/latency", _common("slok-go-http-metrics/latency"),
        '\n1 - (\n  sum(rate(http_request_duration_seconds_bucket{ {{.filterBucket}}'
        'le="{{.bucket}}" }[{{"{{.window}}"}}]))\n  /\n  sum(rate(http_request_duration_'
        'seconds_count{ {{.filterCount}} }[{{"{{.window}}"}}]))\n)\n',
        {"filter": Option("filter", required=True, eq_only=True), "bucket": _BUCKET,
         "exclude_errors": _EXCLUDE},
        {"filterBucket": _FILTER, "filterCount": _BARE, "bucket": "bucket"},
        exclude_errors=True),
    Plugin(
        "sloth-common/traefik/v1/availability", _common("traefik/v1/availability"),
        '\n(\n  sum(rate(traefik_backend_requests_total{ {{.filter}}backend=~"{{.backendRegex}}",'
        'code=~"(5..|429)" }[{{"{{.window}}"}}]))\n  /\n  (sum(rate(traefik_backend_requests_'
        'total{ {{.filter}}backend=~"{{.backendRegex}}" }[{{"{{.window}}"}}])) > 0)\n) OR on() '
        'vector(0)\n',
        {"filter": _F, "backend_regex": Option("regex", required=True)},
        {"filter": _FILTER, "backendRegex": "backend_regex"}),
    Plugin(
        "sloth-common/traefik/v1/latency", _common("traefik/v1/latency"),
        '\n1 - ((\n  sum(rate(traefik_backend_request_duration_seconds_bucket{ {{.filter}}'
        'backend=~"{{.backendRegex}}",le="{{.bucket}}" }[{{"{{.window}}"}}]))\n  /\n  (sum(rate('
        'traefik_backend_request_duration_seconds_count{ {{.filter}}backend=~"{{.backendRegex}}"'
        ' }[{{"{{.window}}"}}])) > 0)\n) OR on() vector(1))\n',
        {"filter": _F, "backend_regex": Option("regex", required=True), "bucket": _BUCKET,
         "exclude_errors": _EXCLUDE},
        {"filter": _FILTER, "backendRegex": "backend_regex", "bucket": "bucket"},
        exclude_errors=True),
    Plugin(
        "sloth-common/traefik/v2/availability", _common("traefik/v2/availability"),
        '\n(\n  sum(rate(traefik_service_requests_total{ {{.filter}}service=~"{{.serviceName}}",'
        'code=~"(5..)" }[{{"{{.window}}"}}]))\n  /\n  (sum(rate(traefik_service_requests_total'
        '{ {{.filter}}service=~"{{.serviceName}}" }[{{"{{.window}}"}}])) > 0)\n) OR on() '
        'vector(0)\n',
        {"filter": _F, "service_name_regex": Option("regex", required=True)},
        {"filter": _FILTER, "serviceName": "service_name_regex"}),
    Plugin(
        "sloth-common/traefik/v2/latency", _common("traefik/v2/latency"),
        '\n1 - ((\n  sum(rate(traefik_service_request_duration_seconds_bucket{ {{.filter}}'
        'service=~"{{.serviceName}}",le="{{.bucket}}" }[{{"{{.window}}"}}]))\n  /\n  (sum(rate('
        'traefik_service_request_duration_seconds_count{ {{.filter}}service=~"{{.serviceName}}"'
        ' }[{{"{{.window}}"}}])) > 0)\n) OR on() vector(1))\n',
        {"filter": _F, "service_name_regex": Option("regex", required=True), "bucket": _BUCKET,
         "exclude_errors": _EXCLUDE},
        {"filter": _FILTER, "serviceName": "service_name_regex", "bucket": "bucket"},
        exclude_errors=True),
)}

_MATCHER = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\\n]|\\.)*)"\s*')
_ESCAPES = {"\\": "\\", '"': '"', "n": "\n", "t": "\t", "r": "\r"}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^\+Inf$")
_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}
_TEMPLATE_WINDOW = re.compile(r'\{\{\s*"\{\{\s*\.window\s*\}\}"\s*\}\}')
_TEMPLATE_FIELD = re.compile(r"\{\{\s*\.([A-Za-z]+)\s*\}\}")


def _unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            nxt = text[i + 1] if i + 1 < len(text) else ""
            if nxt not in _ESCAPES:
                raise ValueError(f"unsupported escape \\{nxt}")
            out.append(_ESCAPES[nxt])
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def parse_filter(text: str, eq_only: bool) -> list[str]:
    """A Sloth plugin filter (``a="x",b=~"y"``, braces and outer commas optional, as the plugins
    trim them) -> the matchers written back with PromQL quoting."""
    body = text.strip().strip("{},").strip()
    if not body:
        return []
    out, pos = [], 0
    while pos < len(body):
        m = _MATCHER.match(body, pos)
        if m is None:
            raise PluginError("filter", f"not a label matcher at {body[pos:pos + 30]!r}: expected "
                              'name="value" (or !=, =~, !~) separated by commas')
        name, op, raw = m.groups()
        try:
            value = _unescape(raw)
        except ValueError as exc:
            raise PluginError("filter", f"matcher {name}: {exc}") from None
        if eq_only and (op != "=" or not re.fullmatch(r'[^=,"]+', value)):
            raise PluginError("filter", f"matcher {m.group(0).strip()!r}: this plugin's filter "
                              'takes only name="value" matchers (values without = , ")')
        if op in ("=~", "!~"):
            _regex("filter", value)
        out.append(f"{name}{op}{promql.quote(value)}")
        pos = m.end()
        if pos < len(body):
            if body[pos] != ",":
                raise PluginError("filter", f"expected ',' after {m.group(0).strip()!r}")
            pos += 1
    return out


def _regex(option: str, value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise PluginError(option, f"not a valid regex: {exc}") from None
    return value


def _text(option: str, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        from sre_gen.importers.source import number

        return str(number(value))
    if not isinstance(value, str):
        raise PluginError(option, "expected a string")
    return value


def query(plugin: Plugin, options: dict, labels: dict[str, str]) -> str:
    """The error-ratio query the plugin returns for ``options`` (Sloth's ``{{.window}}`` kept for
    the caller); raises PluginError."""
    for name in options:
        if name not in plugin.options:
            known = ", ".join(sorted(plugin.options)) or "none"
            raise PluginError(str(name), f"plugin {plugin.id!r} has no option {name!r} (its "
                              f"options: {known})")
    for label in plugin.required_labels:
        if not str(labels.get(label) or ""):
            raise PluginError(None, f"plugin {plugin.id!r} requires the SLO label {label!r} "
                              "(service or SLO labels)")
    values: dict[str, object] = {}
    for name, opt in plugin.options.items():
        raw = _text(name, options[name]) if name in options else ""
        if opt.kind != "filter":
            raw = raw.strip()
        if not raw:
            if opt.required:
                raise PluginError(name, f"plugin {plugin.id!r} requires option {name!r}")
            raw = opt.default
        if opt.kind == "filter":
            values[name] = parse_filter(raw, opt.eq_only)
        elif opt.kind == "regex":
            values[name] = promql.quote(_regex(name, raw))[1:-1] if raw else ""
        elif opt.kind == "bucket":
            if raw and not _NUMBER.match(raw):
                raise PluginError(name, f"not a number: {raw!r}")
            values[name] = raw
        elif opt.kind == "bool":
            if raw and raw not in _TRUE | _FALSE:
                raise PluginError(name, f"not a boolean: {raw!r} (true or false)")
            values[name] = raw in _TRUE
        else:  # a label value, written inside "..."
            values[name] = promql.quote(raw)[1:-1]
    matchers = list(values.get("filter", []))
    if plugin.exclude_errors and values.get("exclude_errors"):
        matchers.append('code!~"5.."')
    data: dict[str, str] = {}
    for key, spec in plugin.data.items():
        if isinstance(spec, tuple):
            text = ",".join(matchers)
            data[key] = text + spec[1] if text else ""
        else:
            data[key] = str(values[spec])
    text = _TEMPLATE_WINDOW.sub("{{.window}}", plugin.template)

    def field_value(m: re.Match) -> str:
        return m.group(0) if m.group(1) == "window" else data[m.group(1)]

    return _TEMPLATE_FIELD.sub(field_value, text)
