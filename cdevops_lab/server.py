"""The single lab process: a simulated AWS region on 127.0.0.1, run by ``lab up`` in the background.

``python -m cdevops_lab serve --config FILE --state-dir DIR`` starts, in one process and
on loopback only: moto server (in-process, on a free port) as the control plane's storage, the
lab gateway on ``gateway_port`` (LocalStack's 4566 by default: the region's one endpoint, which
serves FIS itself and injects faults), the CloudWatch alarm evaluator, then seeds the shop's
resources through the gateway and starts the shop (app fleet, ALB on ``alb_port``, autoscaler,
traffic, metrics). Once the ALB sees every instance healthy it writes ``DIR/lab.json``
(pid, ports, start time); SIGTERM or SIGINT stops everything and removes it.

Nothing here is AWS: it is a simulation that speaks AWS's wire protocol.
"""

from __future__ import annotations

import functools
import gc
import json
import logging
import os
import signal
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cdevops_lab.config import LabConfig, load_config
from cdevops_lab.effects import Effects
from cdevops_lab.errors import LabError, LabNotInstalled
from cdevops_lab.truth.events import EventLog

log = logging.getLogger("cdevops_lab")
INFO_FILE = "lab.json"
READY_TIMEOUT_S = 60.0
GC_YOUNG_THRESHOLD = 10_000  # allocations between young collections (CPython: 700)


def share_botocore_data() -> None:
    """Load each botocore data file once per process instead of once per boto3 session.

    moto makes a fresh boto3 session for each of a dozen region look-ups when its EC2 backend
    loads, and each re-reads botocore's endpoint data (about a second of start-up in all). The
    files are read-only data, and botocore already shares one loaded copy within a session.
    """
    import botocore.loaders

    loader_cls: Any = botocore.loaders.Loader
    if getattr(loader_cls, "_lab_shared", False):
        return
    original = loader_cls.load_data_with_path
    cache: dict[str, Any] = {}
    lock = threading.Lock()

    def load_data_with_path(self: Any, name: str) -> Any:
        with lock:
            if name not in cache:
                cache[name] = original(self, name)
            return cache[name]

    loader_cls.load_data_with_path = load_data_with_path
    loader_cls._lab_shared = True


def cache_moto_module_list() -> None:
    """List moto's service modules once instead of on every request.

    moto server's dispatcher checks each request's host against ``list_of_moto_modules()``,
    which lists moto's package folder and stats every entry, per request: the largest single
    cost of a warm moto call. The folder does not change while the lab runs.
    """
    import moto.backends

    backends: Any = moto.backends
    if getattr(backends, "_lab_cached_modules", None) is not None:
        return
    modules = tuple(backends.list_of_moto_modules())
    backends._lab_cached_modules = modules
    backends.list_of_moto_modules = lambda: modules


def cache_moto_method_names() -> None:
    """List a moto response class's methods once per class instead of on every request.

    moto's ``BaseResponse.call_action`` runs ``inspect.getmembers`` over its class on every
    call to find the action's method: ~9 % of a warm moto call at 100 rps (issue 12). Classes
    do not change while the lab runs.
    """
    import moto.core.responses

    responses: Any = moto.core.responses
    if getattr(responses, "_lab_cached_method_names", False):
        return
    responses.method_names_from_class = functools.cache(responses.method_names_from_class)
    responses._lab_cached_method_names = True


def quiet_collector() -> None:
    """Keep the garbage collector from stalling the data plane once the lab is up.

    The one process holds moto's models, botocore's service data and the lab's state: ~150,000
    objects after start-up, which every full collection walked again, stopping every thread
    for 100-300 ms each time, several times a minute (measured; issue 12: at 100 rps such a
    pause alone is a p99 of hundreds of ms). What exists once the lab is up lives as long as
    the lab, so it is moved out of the collector's sight (``gc.freeze``), and young
    collections run less often (the data plane allocates a few hundred objects per request).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


class Lab:
    """Every part of the simulated region, started and stopped in order."""

    def __init__(self, config: LabConfig) -> None:
        self.config = config
        self.effects = Effects()
        self.events = EventLog()
        self.moto: Any = None
        self.moto_port = 0
        self.gateway: Any = None
        self.alarms: Any = None
        self.shop: Any = None
        self.phase = "starting"
        self.started_at = datetime.now(UTC)

    def admin(self, method: str, path: str, query: str, body: bytes) -> tuple[int, dict[str, Any]]:
        if self.shop is None:
            if path.rstrip("/") == "/_lab/status":
                return 200, {"simulation": True, "ready": False, "phase": self.phase}
            return 503, {"error": f"the lab is {self.phase}"}
        answer: tuple[int, dict[str, Any]] = self.shop.admin(method, path, query, body)
        if path.rstrip("/") == "/_lab/status" and answer[0] == 200:
            answer[1]["phase"] = self.phase
            answer[1]["ports"] = self.ports()
            answer[1]["pid"] = os.getpid()
            answer[1]["alarm_evaluation_errors"] = getattr(self.alarms, "errors", None)
        return answer

    def ports(self) -> dict[str, int]:
        return {
            "gateway": self.gateway.port if self.gateway else self.config.gateway_port,
            "alb": self.shop.alb.port if self.shop else self.config.alb_port,
            "moto": self.moto_port,
        }

    def start(self) -> None:
        try:
            import moto.server  # noqa: F401  (the lab extra is installed)
            import waitress  # noqa: F401

            from cdevops_lab.cloudwatch.alarms import AlarmEvaluator
            from cdevops_lab.gateway import Gateway
        except ImportError as err:
            raise LabNotInstalled(str(err.name or err)) from err

        from cdevops_lab.clients import make_client
        from cdevops_lab.cloudwatch import local as cloudwatch_local
        from cdevops_lab.cloudwatch import responses as cloudwatch_responses
        from cdevops_lab.motoserver import MotoServer
        from cdevops_lab.seed import seed
        from cdevops_lab.workload.shop import Shop

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto logs every hit otherwise
        cloudwatch_responses.install()  # percentiles and metric math, which moto lacks
        # port 0: the kernel picks the port at bind time, so nothing can take it in between
        self.moto = MotoServer(ip_address="127.0.0.1", port=0)
        self.moto.start()
        self.moto_port = self.moto.get_host_and_port()[1]
        moto_endpoint = f"http://127.0.0.1:{self.moto_port}"
        self.gateway = Gateway(
            moto_endpoint,
            self.effects,
            self.events,
            host="127.0.0.1",
            port=self.config.gateway_port,
            admin_handler=self.admin,
            moto_in_process=True,  # self.moto serves moto's app in this process
        )
        self.gateway.start()
        endpoint = self.gateway.url
        self.phase = "seeding"
        topology = seed(endpoint, self.config)
        region = self.config.region
        self.alarms = AlarmEvaluator(
            make_client("cloudwatch", moto_endpoint, region),
            self.events,
            # self.moto runs in this process: alarms and statistics are read from it directly
            alarms=functools.partial(cloudwatch_local.metric_alarms, region),
            statistics=functools.partial(cloudwatch_local.get_metric_statistics, region),
        )
        self.alarms.start()
        self.phase = "starting-workload"
        shop = Shop(
            endpoint=endpoint,
            internal_endpoint=moto_endpoint,
            config=self.config,
            topology=topology,
            effects=self.effects,
            events=self.events,
            moto_in_process=True,  # internal_endpoint is self.moto, in this process
        )
        shop.start()
        self.shop = shop
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not shop.ready():
            if time.monotonic() > deadline:
                raise LabError("the shop's instances did not become healthy in time")
            time.sleep(0.05)
        self.phase = "ready"
        self.events.record("lab-ready", ports=self.ports())

    def stop(self) -> None:
        self.phase = "stopping"
        for part in (self.shop, self.alarms, self.gateway, self.moto):
            if part is None:
                continue
            try:
                part.stop()
            except Exception as err:  # stopping must go on for the other parts
                log.warning("stopping %s failed: %s", type(part).__name__, err)


def write_info(state_dir: Path, lab: Lab) -> Path:
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / INFO_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(
        json.dumps(
            {
                "pid": os.getpid(),
                "ports": lab.ports(),
                "started_at": lab.started_at.isoformat(),
                "endpoint": f"http://127.0.0.1:{lab.ports()['gateway']}",
                "simulation": True,
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    tmp.replace(path)
    return path


def serve(config_path: Path | None, state_dir: Path) -> int:
    """Run the lab in the foreground until SIGTERM or SIGINT; the exit code."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    stop = threading.Event()

    def _on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    info_path = state_dir / INFO_FILE
    lab: Lab | None = None
    try:
        config = load_config(config_path)
        share_botocore_data()
        cache_moto_module_list()
        cache_moto_method_names()
        from cdevops_lab.keepalive import install_fast_headers

        install_fast_headers()
        lab = Lab(config)
        log.info("starting the lab (a simulated region) on 127.0.0.1:%d", config.gateway_port)
        lab.start()
        quiet_collector()
        write_info(state_dir, lab)
        log.info("lab ready: %s", lab.ports())
        while not stop.wait(1.0):
            pass
        log.info("stopping the lab")
        return 0
    except LabError as err:
        log.error("%s%s", err.message, f" (hint: {err.hint})" if err.hint else "")
        return err.exit_code
    except OSError as err:
        log.error("the lab could not start: %s", err)
        return 4
    finally:
        if lab is not None:
            lab.stop()
        info_path.unlink(missing_ok=True)
