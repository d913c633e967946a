"""sre_gen.errors: values echoed in messages are cut; no problem message floods the terminal."""

from __future__ import annotations

from sre_gen.errors import MESSAGE_LIMIT, SpecProblem, shown


def test_shown_quotes_short_values_as_repr() -> None:
    assert shown("checkout") == "'checkout'"
    assert shown("a\nb") == "'a\\nb'"
    assert shown(12345) == "12345"
    assert shown(1.5) == "1.5"
    assert shown(None) == "None"


def test_shown_cuts_long_values_and_says_how_long() -> None:
    assert shown("x" * 500_163) == "'" + "x" * 80 + "...' (500163 characters)"
    assert shown("é" * 100, limit=3) == "'ééé...' (100 characters)"
    assert shown(["x" * 200]) == "['" + "x" * 78 + "... (204 characters)"


def test_shown_describes_integers_python_cannot_print() -> None:
    # str() of an int above 4300 digits raises ValueError on Python >= 3.11
    assert shown(10**5000) == "an integer of about 5001 digits"
    assert shown(-(10**400)) == "a negative integer of about 401 digits"


def test_a_problem_message_is_capped_whatever_it_echoes() -> None:
    problem = SpecProblem("s.yaml", 3, 9, "slos[0]." + "k" * 1000, "unknown x " + "y" * 10_000)
    text = str(problem)
    assert text.startswith("s.yaml:3:9: slos[0].kkk")
    assert len(text) < MESSAGE_LIMIT * 2
    assert text.endswith("... (cut from 10010 characters)")
    assert problem.path.endswith("... (cut from 1008 characters)")
