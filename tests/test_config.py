import pytest
from scrapy.settings import Settings

from crawler import settings as defaults
from crawler.config import AdwatchConfig, ConfigError


def make(**values):
    s = Settings()
    s.setmodule(defaults)
    for k, v in values.items():
        s.set(k, v)
    return AdwatchConfig.from_settings(s)


def test_defaults_are_sane(tmp_path):
    cfg = make(ADWATCH_DATA_DIR=str(tmp_path))
    assert cfg.catalogue_uri == f"sqlite://{tmp_path / 'catalogue.db'}"
    assert cfg.rejects_path == tmp_path / "rejects.jsonl"
    assert cfg.sites_dir.name == "sites" and (cfg.sites_dir / "demo-baidu.yaml").exists()
    assert cfg.max_pages == 3 and cfg.block_retries == 3 and cfg.landing_pages is True


def test_relative_data_dir_gives_a_catalogue_under_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = make(ADWATCH_DATA_DIR="var")
    assert cfg.catalogue_uri == f"sqlite://{tmp_path / 'var' / 'catalogue.db'}"


@pytest.mark.parametrize(
    ("name", "value", "attr", "expected"),
    [
        ("ADWATCH_BASE_URL", "http://127.0.0.1:9/", "base_url", "http://127.0.0.1:9"),
        ("ADWATCH_BLOCK_BACKOFF", "0.5", "block_backoff", 0.5),
        ("ADWATCH_BLOCK_BACKOFF_MAX", "9", "block_backoff_max", 9.0),
        ("ADWATCH_BLOCK_RETRIES", "0", "block_retries", 0),
        ("ADWATCH_CATALOGUE", "sqlite://", "catalogue_uri", "sqlite://"),
        ("ADWATCH_CATALOGUE_BATCH", "7", "catalogue_batch", 7),
        ("ADWATCH_CONTEXT_RECYCLE_PAGES", "5", "context_recycle_pages", 5),
        ("ADWATCH_LANDING_PAGES", "False", "landing_pages", False),
        ("ADWATCH_MAX_PAGES", "9", "max_pages", 9),
        (
            "ADWATCH_REJECTS",
            "/tmp/r.jsonl",
            "rejects_path",
            __import__("pathlib").Path("/tmp/r.jsonl"),
        ),
        ("ADWATCH_SITES_DIR", "/tmp/sites", "sites_dir", __import__("pathlib").Path("/tmp/sites")),
        ("ADWATCH_XHR_WAIT", "1.5", "xhr_wait", 1.5),
    ],
)
def test_each_setting_is_read(name, value, attr, expected):
    assert getattr(make(**{name: value}), attr) == expected


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ADWATCH_MAX_PAGES", "0", "ADWATCH_MAX_PAGES must be > 0"),
        ("ADWATCH_MAX_PAGES", "many", "ADWATCH_MAX_PAGES must be a number"),
        ("ADWATCH_BLOCK_RETRIES", "-1", "ADWATCH_BLOCK_RETRIES must be >= 0"),
        ("ADWATCH_XHR_WAIT", "0", "ADWATCH_XHR_WAIT must be > 0"),
        ("ADWATCH_BLOCK_BACKOFF_MAX", "0.1", "ADWATCH_BLOCK_BACKOFF_MAX must be >="),
    ],
)
def test_bad_values_name_the_setting(name, value, message):
    with pytest.raises(ConfigError, match=message):
        make(**{name: value})
