"""The one HTTP client for a live Prometheus (or a Prometheus-compatible API: VictoriaMetrics,
Thanos, Mimir): the standard library's urllib, so no dependency and nothing to import on the
commands that do not talk to a server.

Credentials come from the environment only, never from the command line (``ps`` shows argv):

- ``SRE_GEN_PROMETHEUS_TOKEN`` (or ``SRE_GEN_PROMETHEUS_TOKEN_FILE``): ``Authorization: Bearer``;
- ``SRE_GEN_PROMETHEUS_USER`` + ``SRE_GEN_PROMETHEUS_PASSWORD``: basic auth.

TLS: ``ca_file`` (a PEM bundle) and ``insecure`` (skip verification) from the command line's
``--ca-file`` / ``--insecure-skip-verify``; ``SRE_GEN_PROMETHEUS_CA_FILE`` too.

Errors: a server that cannot be reached (refused, DNS, TLS, timeout, HTTP 5xx, not an API
answer) raises ``Unreachable`` (exit 4); a query the server rejects raises ``QueryRejected``
(exit 4 too: the server and sre-gen disagree on PromQL, which is the environment's problem, not
the spec's) with the query and the server's own error.
"""

from __future__ import annotations

import base64
import json
import math
import os
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sre_gen import errors

DEFAULT_TIMEOUT = 10.0  # seconds per request
ENV_TOKEN = "SRE_GEN_PROMETHEUS_TOKEN"
ENV_TOKEN_FILE = "SRE_GEN_PROMETHEUS_TOKEN_FILE"
ENV_USER = "SRE_GEN_PROMETHEUS_USER"
ENV_PASSWORD = "SRE_GEN_PROMETHEUS_PASSWORD"
ENV_CA_FILE = "SRE_GEN_PROMETHEUS_CA_FILE"


class Unreachable(errors.EnvironmentProblem):
    """Prometheus could not be asked (exit 4)."""


class QueryRejected(errors.EnvironmentProblem):
    """Prometheus answered with an error for one request (exit 4)."""


@dataclass(frozen=True)
class Sample:
    """One series of an instant query: its labels and value (NaN/Inf kept as floats)."""

    labels: Mapping[str, str]
    value: float
    at: float


@dataclass(frozen=True)
class Series:
    """One series of a range query: labels and (time, value) points."""

    labels: Mapping[str, str]
    points: tuple[tuple[float, float], ...]


def _auth_header(env: Mapping[str, str]) -> str | None:
    token = env.get(ENV_TOKEN)
    token_file = env.get(ENV_TOKEN_FILE)
    if not token and token_file:
        try:
            with open(token_file, encoding="utf-8") as fh:
                token = fh.read().strip()
        except OSError as exc:
            raise errors.EnvironmentProblem(
                f"cannot read {ENV_TOKEN_FILE}={token_file}: {exc.strerror}") from None
    if token:
        return f"Bearer {token}"
    user, password = env.get(ENV_USER), env.get(ENV_PASSWORD)
    if user:
        raw = f"{user}:{password or ''}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")
    return None


def _float(text: str) -> float:
    return float(text)  # Prometheus writes "NaN", "+Inf", "-Inf", which float() reads


class Prometheus:
    """``Prometheus(url).query("up")``; every method returns the API's ``data`` decoded."""

    def __init__(self, url: str, *, timeout: float = DEFAULT_TIMEOUT, ca_file: str | None = None,
                 insecure: bool = False, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise errors.UsageError(f"--prometheus {url!r}: expected an http:// or https:// URL")
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._auth = _auth_header(env)
        self._context: ssl.SSLContext | None = None
        if parsed.scheme == "https":
            ca = ca_file or env.get(ENV_CA_FILE)
            try:
                self._context = ssl.create_default_context(cafile=ca) if ca else \
                    ssl.create_default_context()
            except (OSError, ssl.SSLError) as exc:
                raise errors.EnvironmentProblem(f"cannot load CA file {ca}: {exc}") from None
            if insecure:
                self._context.check_hostname = False
                self._context.verify_mode = ssl.CERT_NONE

    # -- transport ---------------------------------------------------------------------------

    def get(self, path: str, params: Iterable[tuple[str, str]] = ()) -> Any:
        """GET ``/api/v1/<path>`` (form-encoded POST when the query string is long) -> data."""
        body = urllib.parse.urlencode(list(params))
        url = f"{self.url}/api/v1/{path}"
        if len(body) > 4000:
            request = urllib.request.Request(url, data=body.encode(), method="POST", headers={
                "Content-Type": "application/x-www-form-urlencoded"})
        else:
            request = urllib.request.Request(f"{url}?{body}" if body else url)
        request.add_header("Accept", "application/json")
        raw = self._send(request, path, params)
        try:
            doc = json.loads(raw)
        except ValueError:
            raise Unreachable(f"{self.url} ({path}) did not answer with the Prometheus HTTP "
                              f"API's JSON (is this a Prometheus URL?): {raw[:120]!r}") from None
        if not isinstance(doc, dict) or doc.get("status") != "success":
            raise QueryRejected(f"Prometheus at {self.url} ({path}) rejected {_params(params)}: "
                                f"{_api_error(raw) or doc!r}")
        return doc.get("data")

    def _send(self, request: urllib.request.Request, path: str,
              params: Iterable[tuple[str, str]] = ()) -> bytes:
        """Send one request with the credentials; the body of a 2xx answer, else the error."""
        request.add_header("User-Agent", "sre-gen")
        if self._auth:
            request.add_header("Authorization", self._auth)
        what = f"{self.url} ({path})"
        try:
            with urllib.request.urlopen(request, timeout=self.timeout,
                                        context=self._context) as resp:
                return resp.read()
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            if exc.code in (400, 422):  # bad_data / execution: the server's own message
                raise QueryRejected(f"Prometheus at {what} rejected {_params(params)}: "
                                    f"{_api_error(raw) or exc.reason}") from None
            if exc.code in (401, 403):
                raise Unreachable(
                    f"Prometheus at {what} answered HTTP {exc.code} {exc.reason}: set "
                    f"{ENV_TOKEN} (bearer) or {ENV_USER}/{ENV_PASSWORD} (basic auth)") from None
            raise Unreachable(f"Prometheus at {what} answered HTTP {exc.code} {exc.reason}"
                              f"{': ' + _api_error(raw) if _api_error(raw) else ''}") from None
        except (TimeoutError, OSError) as exc:  # URLError is an OSError; so are ssl errors
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError) or "timed out" in str(reason):
                reason = f"no answer within {self.timeout:g} s (timeout)"
            raise Unreachable(f"cannot reach Prometheus at {self.url}: {reason}") from None

    # -- API ---------------------------------------------------------------------------------

    def query(self, expr: str, at: float | None = None) -> list[Sample]:
        """An instant query; a scalar result is one sample without labels."""
        params = [("query", expr)] + ([("time", _ts(at))] if at is not None else [])
        data = self.get("query", params)
        kind, result = data.get("resultType"), data.get("result")
        if kind == "vector":
            return [Sample(r["metric"], _float(r["value"][1]), float(r["value"][0]))
                    for r in result]
        if kind == "scalar":
            return [Sample({}, _float(result[1]), float(result[0]))]
        raise QueryRejected(f"{expr!r} returned a {kind}, not an instant vector")

    def query_range(self, expr: str, start: float, end: float, step: float) -> list[Series]:
        data = self.get("query_range", [("query", expr), ("start", _ts(start)),
                                        ("end", _ts(end)), ("step", f"{step:g}")])
        return [Series(r["metric"], tuple((float(t), _float(v)) for t, v in r["values"]))
                for r in data.get("result", [])]

    def samples(self, selector: str, start: float, end: float) -> list[Series]:
        """The raw samples of ``selector`` in (start, end]: an instant query of the range
        selector ``selector[end - start]`` at ``end`` (no resampling, no extrapolation)."""
        span = int(round((end - start) * 1000))
        if span <= 0:
            return []
        data = self.get("query", [("query", f"{selector}[{span}ms]"), ("time", _ts(end))])
        if data.get("resultType") != "matrix":
            raise QueryRejected(f"{selector!r} over a range returned a "
                                f"{data.get('resultType')}, not a matrix")
        return [Series(r["metric"], tuple((float(t), _float(v)) for t, v in r["values"]
                                          if float(t) > start))
                for r in data.get("result", [])]

    def import_series(self, series: Iterable[Series]) -> None:
        """Write samples with VictoriaMetrics' ``/api/v1/import`` (JSON lines; a
        VictoriaMetrics-only endpoint: Prometheus has no write API over HTTP/JSON)."""
        lines = []
        for s in series:
            if not s.points:
                continue
            lines.append(json.dumps({
                "metric": dict(s.labels),
                "values": [v for _t, v in s.points],
                "timestamps": [int(round(t * 1000)) for t, _v in s.points]},
                separators=(",", ":"), allow_nan=True))
        if not lines:
            return
        request = urllib.request.Request(f"{self.url}/api/v1/import",
                                         data=("\n".join(lines) + "\n").encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        self._send(request, "import")

    def force_flush(self) -> None:
        """VictoriaMetrics' ``/internal/force_flush``: what was written so far becomes
        searchable now (instead of within about a second)."""
        self._send(urllib.request.Request(f"{self.url}/internal/force_flush"), "force_flush")

    def series(self, matchers: Iterable[str], start: float | None = None,
               end: float | None = None) -> list[dict[str, str]]:
        """The label sets of the series matching any of ``matchers`` (``/api/v1/series``)."""
        params = [("match[]", m) for m in matchers] + _range(start, end)
        return list(self.get("series", params) or [])

    def label_names(self, matchers: Iterable[str] = (), start: float | None = None,
                    end: float | None = None) -> list[str]:
        params = [("match[]", m) for m in matchers] + _range(start, end)
        return list(self.get("labels", params) or [])

    def label_values(self, name: str, matchers: Iterable[str] = (), start: float | None = None,
                     end: float | None = None) -> list[str]:
        params = [("match[]", m) for m in matchers] + _range(start, end)
        return list(self.get(f"label/{urllib.parse.quote(name, safe='')}/values", params) or [])

    def metadata(self, metric: str | None = None) -> dict[str, list[dict[str, str]]]:
        """``{metric: [{"type": "counter", "help": ..., "unit": ...}]}`` (types as scraped)."""
        return dict(self.get("metadata", [("metric", metric)] if metric else []) or {})

    def buildinfo(self) -> dict[str, str]:
        return dict(self.get("status/buildinfo") or {})


def _ts(at: float) -> str:
    if not math.isfinite(at):
        raise ValueError(f"not a time: {at}")
    return f"{at:.3f}"


def _range(start: float | None, end: float | None) -> list[tuple[str, str]]:
    out = []
    if start is not None:
        out.append(("start", _ts(start)))
    if end is not None:
        out.append(("end", _ts(end)))
    return out


def _params(params: Iterable[tuple[str, str]]) -> str:
    shown = ", ".join(f"{k}={errors.shown(v)}" for k, v in params)
    return shown or "the request"


def _api_error(raw: bytes) -> str:
    try:
        doc = json.loads(raw)
    except ValueError:
        return ""
    if isinstance(doc, dict) and doc.get("error"):
        return f"{doc.get('errorType', 'error')}: {doc['error']}"
    return ""
