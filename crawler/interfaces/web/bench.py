"""One workbench: the settings it was started with and what it keeps open
(the catalogue, the evidence store, the accounts, the dossiers being made).

Handlers get it from ``request.app.state.bench``.  The catalogue is opened
once: both backends are safe to share between the server's threads.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawler.config import AdwatchConfig
from crawler.interfaces.web.accounts import Accounts
from crawler.interfaces.web.security import LoginBrake
from evidence.index import Catalogue, open_catalogue
from evidence.store import EvidenceStore


@dataclass
class DossierTask:
    """A dossier being made in the background (PDF printing takes a while)."""

    id: str
    regulator: str
    by: str
    record_ids: list[str]
    operator_id: str
    confirmed_only: bool
    folder: Path
    state: str = "running"  # running | done | failed
    progress: str = "开始"
    error: str = ""
    file: Path | None = None
    sha256: str = ""
    exhibits: int = 0
    pages: int = 0
    exhibit_ids: list[str] = field(default_factory=list)  # the records the dossier holds


@dataclass
class Bench:
    settings: Any
    config: AdwatchConfig
    catalogue: Catalogue
    accounts: Accounts
    folder: Path  # <data dir>/web: accounts, session key, dossiers made here
    brake: LoginBrake = field(default_factory=LoginBrake)
    tasks: dict[str, DossierTask] = field(default_factory=dict)
    _store: EvidenceStore | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, settings: Any) -> Bench:
        config = AdwatchConfig.from_settings(settings)
        folder = Path(settings.get("ADWATCH_DATA_DIR")) / "web"
        folder.mkdir(parents=True, exist_ok=True)
        return cls(
            settings=settings,
            config=config,
            catalogue=open_catalogue(config.catalogue_uri),
            accounts=Accounts(folder / "accounts.db"),
            folder=folder,
        )

    def store(self, create: bool = False) -> EvidenceStore | None:
        """The evidence store (made when ``create``: a review is written to its
        ledger even before the first capture)."""
        with self._lock:
            if self._store is None:
                exists = (self.config.evidence_dir / "ledger.jsonl").exists()
                if exists or create:
                    self._store = EvidenceStore(self.config.evidence_dir)
            return self._store

    def new_task(self, **fields: Any) -> DossierTask:
        task_id = uuid.uuid4().hex[:12]
        task = DossierTask(id=task_id, folder=self.folder / "dossiers" / task_id, **fields)
        with self._lock:
            self.tasks[task_id] = task
        return task

    def close(self) -> None:
        self.catalogue.close()
        self.accounts.close()
