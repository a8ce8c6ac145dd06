"""Scrapy settings for adwatch.

All defaults live here, grouped by prefix and sorted inside each group.  Every
setting adwatch adds is documented on its line; they are read only through
``crawler.config.AdwatchConfig``.  The scrapy-playwright values follow
shared/research (crawl-index.md §1, stack.md §1 and §8): Debian's chromium
through ``executable_path``, small page/context pools, contexts recycled every
``ADWATCH_CONTEXT_RECYCLE_PAGES`` pages and a memory cap, because a long-lived
browser context grows without bound (scrapy-playwright#240).
"""

import os

from crawler.finding.identity import user_agent

BOT_NAME = "adwatch"
SPIDER_MODULES = ["crawler.finding.spiders"]
NEWSPIDER_MODULE = "crawler.finding.spiders"

# --- adwatch -----------------------------------------------------------------
# Alerts after each job (crawler/running/alerts.py); secrets only from the environment:
# ADWATCH_ALERT_WEBHOOK_TOKEN, ADWATCH_ALERT_SMTP_PASSWORD.
ADWATCH_ALERT_BLOCK_MIN_PAGES = 3  # a platform's pages in a job before its block rate counts
ADWATCH_ALERT_BLOCK_RATE = 0.3  # block pages / pages that makes a platform "blocking"
ADWATCH_ALERT_DEDUP_HOURS = 24  # the same alert is not sent again within this window
ADWATCH_ALERT_HISTORY_JOBS = 7  # earlier jobs of the profile a job is compared with
ADWATCH_ALERT_NEW_OPERATOR_MIN_ADS = 2  # ads an operator new in this job needs to alert
ADWATCH_ALERT_RULES = (
    "new_operator,new_ads_spike,platform_blocking,empty_crawl,field_coverage,session_expired"
)
ADWATCH_ALERT_SMTP_FROM = ""  # sender address
ADWATCH_ALERT_SMTP_HOST = os.environ.get("ADWATCH_ALERT_SMTP_HOST", "")  # empty = no email
ADWATCH_ALERT_SMTP_PORT = 0  # 0 = 587 (starttls), 465 (ssl) or 25 (none)
ADWATCH_ALERT_SMTP_SECURITY = "starttls"  # starttls | ssl | none
ADWATCH_ALERT_SMTP_TO = ""  # comma-separated recipients
ADWATCH_ALERT_SMTP_USER = ""
ADWATCH_ALERT_SPIKE_FACTOR = 3.0  # new ads above factor x the median of earlier jobs
ADWATCH_ALERT_SPIKE_MIN_NEW_ADS = 10  # ... and at least this many
ADWATCH_ALERT_WEBHOOK_URL = os.environ.get("ADWATCH_ALERT_WEBHOOK_URL", "")  # empty = none
# Hosts the address policy lets adwatch fetch although they are internal
# (evidence/netpolicy.py): host, host:port, an address or a network, comma-separated.
# --base-url's host and port, and --demo's web, are allowed without being listed.
ADWATCH_ALLOW_HOSTS = os.environ.get("ADWATCH_ALLOW_HOSTS", "")
ADWATCH_BACKEND = "sqlite"  # catalogue backend when ADWATCH_CATALOGUE is empty: sqlite | elastic
ADWATCH_BASE_URL = ""  # replaces a profile's base_url (used to point demo profiles at a port)
ADWATCH_BLOCK_BACKOFF = 2.0  # seconds a platform pauses after its first block page
ADWATCH_BLOCK_BACKOFF_MAX = 120.0  # the pause doubles per block up to this
ADWATCH_BLOCK_RETRIES = 3  # retries of one blocked page before it becomes a reject
ADWATCH_CAPTURE = True  # `adwatch crawl` ends by capturing evidence of new ads and suspects
ADWATCH_CAPTURE_ATTEMPTS = 3  # captures met by a captcha/empty page before a person must look
ADWATCH_CAPTURE_CONCURRENCY = 3  # pages captured at once (each in its own browser context)
ADWATCH_CAPTURE_LABELS = "ad,suspect"  # labels whose records are captured as evidence
ADWATCH_CAPTURE_LOAD_WAIT = 8.0  # seconds for the load event after the document arrived
ADWATCH_CAPTURE_TIMEOUT = 20.0  # seconds for a captured page's document to arrive
ADWATCH_CATALOGUE = ""  # catalogue URI; empty = sqlite:///<ADWATCH_DATA_DIR>/catalogue.db
ADWATCH_CATALOGUE_BATCH = 200  # records buffered before one upsert transaction
ADWATCH_CONTEXT_RECYCLE_PAGES = 100  # browser pages per context before a fresh context
ADWATCH_DATA_DIR = os.environ.get("ADWATCH_DATA_DIR", "var")  # catalogue, rejects, logs
ADWATCH_ES_PREFIX = "adwatch"  # index and alias prefix: adwatch-ads, adwatch-ads-write, ...
ADWATCH_ES_REPLICAS = 1  # replicas of each adwatch index (0 on a one-node cluster)
# Elasticsearch URL; credentials only from the environment: ADWATCH_ES_API_KEY,
# or ADWATCH_ES_USER + ADWATCH_ES_PASSWORD; ADWATCH_ES_CA names a CA bundle.
ADWATCH_ES_URL = os.environ.get("ADWATCH_ES_URL", "")
ADWATCH_EVIDENCE_DIR = ""  # evidence store (blobs, bundles, ledger); empty = <data dir>/evidence
# Shared frontier (crawler/finding/frontier.py): workers on one Redis crawl one web together.
ADWATCH_FRONTIER_IDLE = 10.0  # seconds the shared frontier stays empty before a worker ends
ADWATCH_FRONTIER_KEEP = 604800  # seconds a finished run's Redis keys are kept
ADWATCH_FRONTIER_RUN = os.environ.get("ADWATCH_FRONTIER_RUN", "")  # one id per crawl, all workers
ADWATCH_FRONTIER_TTL = 10.0  # seconds without a heartbeat before a worker counts as dead
ADWATCH_FRONTIER_WORKER = ""  # this worker's name; empty = host:pid:random
ADWATCH_KIBANA_URL = os.environ.get("ADWATCH_KIBANA_URL", "")  # for `adwatch kibana import`
ADWATCH_LANDING_PAGES = True  # search channel: also fetch each result's landing page
ADWATCH_MAX_PAGES = 3  # result pages (or scroll batches) per query
# redis://host:6379/0, "local" (start a throw-away redis-server), or empty: no shared frontier
ADWATCH_REDIS_URL = os.environ.get("ADWATCH_REDIS_URL", "")
ADWATCH_REJECTS = ""  # rejects file (JSON Lines); empty = <ADWATCH_DATA_DIR>/rejects.jsonl
ADWATCH_MONITOR_MAX_BLOCK_RATE = 0.3  # spider-close check: block pages / pages received
ADWATCH_MONITOR_MAX_ERROR_RATE = 0.2  # spider-close check: download errors / requests
ADWATCH_MONITOR_MAX_INVALID_RATE = 0.05  # spider-close check: invalid records / records
ADWATCH_OCR_ENGINE = "rapidocr"  # rapidocr | paddleocr | none: read text and QR codes in images
ADWATCH_OCR_WORKERS = 1  # OCR worker processes (each holds one engine, ~250-350 MB)
# the learned model: empty = crawler/reading/detect/model.json, "none" = rules alone
ADWATCH_MODEL = os.environ.get("ADWATCH_MODEL", "")
ADWATCH_RULES_DIR = os.environ.get("ADWATCH_RULES_DIR", "")  # empty = crawler/reading/detect/rules
# your own site profiles, read with the packaged ones (same name replaces); also --sites-dir
ADWATCH_SITES_DIR = os.environ.get("ADWATCH_SITES_DIR", "")
# PEM file of the TSAs' trusted roots, or a folder of *.pem; empty = the demo TSAs' roots if made
ADWATCH_TSA_CA = ""
ADWATCH_TSA_COPIES = 2  # how many different TSAs stamp each bundle (when that many are listed)
# RFC 3161 time-stamp authority URL; several, separated by commas or spaces, stamp each bundle
ADWATCH_TSA_URL = os.environ.get("ADWATCH_TSA_URL", "")
ADWATCH_XHR_WAIT = 8.0  # seconds a rendered page may take to fire its data request

# --- Scrapy: throttling and politeness ---------------------------------------
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_START_DELAY = 0.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 16.0
# Items processed in parallel per response.  Scrapy starts this many asyncio
# workers for *every* callback; our callbacks yield at most ~11 things, and the
# default 100 cost ~40 % of the CPU of a plain-page crawl (bench/crawl.py).
CONCURRENT_ITEMS = 16
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 16
DOWNLOAD_DELAY = 0.0
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024  # a real ad page is far below; the demo's 20 MB page is not
DOWNLOAD_TIMEOUT = 20
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
FILES_EXPIRES = 0  # images are kept by content hash; every crawl re-checks the URL
REDIRECT_MAX_TIMES = 10
RETRY_TIMES = 1
ROBOTSTXT_OBEY = False  # monitoring for regulators; a profile may set its own rate instead

# --- Scrapy: components ------------------------------------------------------
ADDONS = {"crawler.finding.frontier.SharedFrontier": 0}  # switched on by ADWATCH_REDIS_URL
DOWNLOADER_MIDDLEWARES = {
    "crawler.finding.blocking.BlockDetectionMiddleware": 560,
    # after redirects (each hop re-enters the chain), before retries (a refusal is final)
    "crawler.finding.netguard.AddressPolicyMiddleware": 580,
    # Scrapy's cookie middleware, with each session platform's cookies in its own jar
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
    "crawler.finding.session_cookies.SessionCookiesMiddleware": 700,
    "crawler.finding.browser.ContextRecycler": 960,
}
EXTENSIONS = {
    "scrapy.extensions.memusage.MemoryUsage": None,
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy_playwright.memusage.ScrapyPlaywrightMemoryUsageExtension": 0,
    "crawler.finding.rejects.RejectLog": 10,
    "crawler.finding.monitor.CrawlMonitor": 20,
}
ITEM_PIPELINES = {
    "crawler.finding.pipelines.ValidatePipeline": 100,
    "crawler.finding.pipelines.ImagePipeline": 200,
    "crawler.finding.pipelines.OcrPipeline": 250,
    "crawler.finding.pipelines.DetectPipeline": 300,
    "crawler.finding.pipelines.CataloguePipeline": 900,
}

# --- Scrapy: runtime ---------------------------------------------------------
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
MEMUSAGE_ENABLED = True
MEMUSAGE_LIMIT_MB = 3000  # counts the browser processes too (scrapy-playwright memusage)
MEMUSAGE_WARNING_MB = 2000
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
# answers only addresses the address policy allows (IPv4 and IPv6, cached as Scrapy's)
TWISTED_DNS_RESOLVER = "crawler.finding.netguard.PolicyResolver"
# Scrapy re-reads each callback's source per response to warn about `return x`
# in generators (its cache misses on bound methods): ~9 % of plain-page CPU.
WARN_ON_GENERATOR_RETURN_VALUE = False
# the installed Chromium's own user agent (without "Headless"), for plain
# requests and browser pages alike: crawler/finding/identity.py
USER_AGENT = user_agent(os.environ.get("ADWATCH_CHROMIUM", "/usr/bin/chromium"))

# --- scrapy-playwright -------------------------------------------------------
DOWNLOAD_HANDLERS = {
    "http": "crawler.finding.pagepool.PooledPageHandler",
    "https": "crawler.finding.pagepool.PooledPageHandler",
    # never read local files or other schemes, whatever a link says (and the
    # address policy refuses them before they get here)
    "data": None,
    "file": None,
    "ftp": None,
    "s3": None,
}
PLAYWRIGHT_ABORT_REQUEST = "crawler.finding.browser.should_abort"
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 20_000
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "executable_path": os.environ.get("ADWATCH_CHROMIUM", "/usr/bin/chromium"),
    "headless": True,
    "timeout": 20_000,
    # a Ctrl-C stops the crawl through Scrapy, which closes the browser after
    # its pages; Playwright's own handler would close it under them at once
    "handle_sigint": False,
    "args": [
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ],
}
PLAYWRIGHT_MAX_CONTEXTS = 4
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4
PLAYWRIGHT_PROCESS_REQUEST_HEADERS = None  # the browser sends its own, consistent headers
