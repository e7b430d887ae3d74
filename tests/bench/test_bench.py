"""The benchmarks run (they are not timed here: figures come from `bench/run.sh`, see README.md)."""

from __future__ import annotations

import math

from bench import certificates, crypto, http


def test_crypto_bench_compares_with_the_javascript_libraries_on_identical_signatures():
    case = crypto.vector_case(2)
    result = crypto.measure(case, runs=1, rounds=1)
    assert result["byte_identical"] is True
    for operation in ("sign", "verify"):
        assert result[operation]["python_per_s"] > 0 and result[operation]["js_per_s"] > 0
        assert math.isfinite(result[operation]["ratio_cpu"])


def test_load_generator_holds_the_offered_rate_against_the_live_service(live_server):
    result = http.load(live_server.url + "/health", rate=20, duration=1.0, connections=4)
    assert result["statuses"] == {"200": 20} and result["errors"] == 0
    assert 0 < result["p50_ms"] <= result["p99_ms"] <= result["max_ms"]
    closed = http.load(live_server.url + "/health", rate=1, duration=0.5, closed=True, connections=2)
    assert closed["offered_per_s"] is None and closed["sent"] > 0


def test_certificate_bench_reports_first_and_cached_renders():
    result = certificates.measure(certificates.batch(2), runs=1)
    assert result["certificates"] == 2 and result["pages"] == 2
    assert result["first_render_per_core_s"] > 0 and result["pool_per_s"] > 0
    assert result["cached_per_s"] > result["first_render_per_core_s"]  # a cached certificate is a file read


def test_issue_bench_issues_over_http_and_compares_with_javascript_signing():
    from bench import issue

    result = issue.measure_database(None, count=3, rounds=1)
    assert result["http_issue_per_s"] > 0 and result["js_sign_per_s"] > 0 and result["server_cpu_ms"] > 0
    assert math.isfinite(result["ratio_wall"]) and math.isfinite(result["ratio_cpu"])
    assert result["floor_issue_per_s"] > 0 and math.isfinite(result["floor_ratio_wall"])


def test_pages_bench_times_every_page_served_for_a_generated_organisation():
    from bench import pages

    result = pages.one_database("SQLite", None, volunteers=40, records=200, signed=5, requests=3)
    organisation = result["organisation"]
    assert (organisation["volunteers"], organisation["records"], organisation["signed"]) == (40, 200, 5)
    assert organisation["credentials"] > 100 and organisation["statements waiting"] > 0
    measured = {name: page for name, page in result["pages"].items() if page["status"] == 200}
    # The public pages exist; the bulk-made volunteer's own page lists their bulk-made credentials.
    assert {"verification page", "catalogue", "volunteer's own page", "dashboard"} <= measured.keys()
    for page in measured.values():
        assert 0 < page["p50_ms"] <= page["p95_ms"] <= page["max_ms"]
    # Every page the list names is either measured or reported as not served yet: none errs.
    assert all(page["status"] in (200, 404) for page in result["pages"].values()), result["pages"]
