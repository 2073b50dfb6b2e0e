"""Every site the corpus, the sample store and the field cases make is byte-identical to the
checked-in expectation (tests/golden_sites.json), apart from trackreport's version: a change
that should keep the output (a restructure) proves it here; one that alters it on purpose
records the new output with `python tests/golden.py --update`, and the diff of
golden_sites.json shows which files it altered."""

import json

import golden


def test_sites_match_the_recorded_expectation(tmp_path):
    got = golden.site_digests(tmp_path)
    expected = json.loads(golden.EXPECTED.read_text())
    assert golden.differences(expected, got) == []
