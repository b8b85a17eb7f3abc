"""The one label table: every code and every label in both languages, templates filled in."""

import re
import string

import pytest

from tianhe_geo.foundation import i18n, vocab
from tianhe_geo.foundation.config import AnalysisConfig
from tianhe_geo.foundation.standards import STANDARDS


@pytest.mark.parametrize("column", sorted(vocab.CODES))
def test_every_vocabulary_code_has_a_chinese_and_an_english_label(column):
    for code in vocab.CODES[column]:
        zh, en = (i18n.code_label(column, code, lang) for lang in ("zh", "en"))
        assert zh != code and en != code, (column, code)
        assert re.search(r"[\u4e00-\u9fff]", zh), (column, code, zh)


def test_every_label_and_standard_name_has_both_languages_and_the_same_fields():
    tables = {**i18n.LABELS, **{f"standard {k}": v for k, v in i18n.STANDARD_NAMES.items()}}
    for key, entry in tables.items():
        assert set(entry) == {"zh", "en"}, key
        fields = [
            {f for _, f, _, _ in string.Formatter().parse(entry[lang]) if f} for lang in entry
        ]
        assert fields[0] == fields[1], key
    assert set(i18n.STANDARD_NAMES) == set(STANDARDS)


def test_names_follow_the_radius_a_run_uses():
    # 0.1 wrote "within 300 m" in labels while computing the configured 400 m.
    config = AnalysisConfig(radii={"green-300": 400, "park-tiered": {"city": 1500}})
    assert i18n.standard_title(config.standard("green-300"), "en") == "Green space within 400 m"
    assert i18n.standard_title(config.standard("green-300"), "zh") == "400米见绿"
    tiered = i18n.standard_title(config.standard("park-tiered"), "en")
    assert "City park 1,500 m" in tiered and "Pocket park 300 m" in tiered
    assert i18n.label("site_reach", "en", radius=1000) == "Reach of the new sites (1,000 m)"
    assert i18n.label("site_reach", "zh", radius=1000) == "新址服务范围（1000米）"


def test_unknown_values_are_shown_as_they_are_and_bad_languages_refused():
    assert i18n.code_label("status", "demolished", "zh") == "demolished"
    assert i18n.standard_name("my-rule", "en", 250) == "my-rule"
    with pytest.raises(ValueError, match="lang must be one of"):
        i18n.label("name", "fr")
