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
        ("ADWATCH_CAPTURE", "False", "capture", False),
        ("ADWATCH_CAPTURE_ATTEMPTS", "5", "capture_attempts", 5),
        ("ADWATCH_CAPTURE_CONCURRENCY", "2", "capture_concurrency", 2),
        ("ADWATCH_CAPTURE_LABELS", "ad", "capture_labels", ("ad",)),
        ("ADWATCH_CAPTURE_LOAD_WAIT", "2.5", "capture_load_wait", 2.5),
        ("ADWATCH_CAPTURE_TIMEOUT", "9", "capture_timeout", 9.0),
        ("ADWATCH_EVIDENCE_DIR", "/tmp/ev", "evidence_dir", __import__("pathlib").Path("/tmp/ev")),
        ("ADWATCH_TSA_CA", "/tmp/ca.pem", "tsa_ca", __import__("pathlib").Path("/tmp/ca.pem")),
        ("ADWATCH_TSA_URL", "http://127.0.0.1:9/", "tsa_url", "http://127.0.0.1:9/"),
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
        ("ADWATCH_CAPTURE_LABELS", "ad,spam", "ADWATCH_CAPTURE_LABELS must name labels"),
        ("ADWATCH_CAPTURE_CONCURRENCY", "0", "ADWATCH_CAPTURE_CONCURRENCY must be > 0"),
        ("ADWATCH_TSA_URL", "tsa.example", "ADWATCH_TSA_URL must be an http"),
    ],
)
def test_bad_values_name_the_setting(name, value, message):
    with pytest.raises(ConfigError, match=message):
        make(**{name: value})


def test_evidence_defaults_live_under_the_data_dir(tmp_path):
    cfg = make(ADWATCH_DATA_DIR=str(tmp_path))
    assert cfg.evidence_dir == tmp_path / "evidence"
    assert cfg.capture and cfg.capture_labels == ("ad", "suspect")
    assert cfg.tsa_ca is None  # no demo TSA made here yet
    (tmp_path / "tsa").mkdir()
    (tmp_path / "tsa" / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    assert make(ADWATCH_DATA_DIR=str(tmp_path)).tsa_ca == tmp_path / "tsa" / "ca.pem"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2.5", "ADWATCH_X must be a whole number, got '2.5'"),
        ("many", "ADWATCH_X must be a number, got 'many'"),
        (True, "ADWATCH_X must be a number, got True"),
        ("0", "ADWATCH_X must be > 0, got 0"),
    ],
)
def test_one_integer_reader_for_every_component(value: object, message: str) -> None:
    from crawler.setting_values import ConfigError, integer

    with pytest.raises(ConfigError) as caught:
        integer({"ADWATCH_X": value}, "ADWATCH_X", minimum=1)
    assert str(caught.value) == message
    assert integer({"ADWATCH_X": " "}, "ADWATCH_X", minimum=1, default=7) == 7


def test_nan_and_out_of_range_numbers_are_refused() -> None:
    from crawler.running.alerts import AlertConfigError
    from crawler.setting_values import ConfigError, real

    with pytest.raises(AlertConfigError, match="must be > 0"):
        real({"ADWATCH_X": "nan"}, "ADWATCH_X", 0.0, strict=True, error=AlertConfigError)
    with pytest.raises(ConfigError, match=r"between 0 and 1, got 1\.5"):
        real({"ADWATCH_X": "1.5"}, "ADWATCH_X", 0.0, maximum=1.0)
    assert issubclass(AlertConfigError, ConfigError)  # one kind of error for a bad setting


def test_a_crawler_reads_its_settings_once() -> None:
    from scrapy.utils.test import get_crawler

    from crawler.config import crawler_config

    crawler = get_crawler(settings_dict={"ADWATCH_MAX_PAGES": 5})
    first = crawler_config(crawler)
    assert first.max_pages == 5 and crawler_config(crawler) is first
