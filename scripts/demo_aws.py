#!/usr/bin/env python3
"""Seed a running moto server with Gantry's demo AWS account for "Backend Booking".

Usage (from the repository root; moto must already be running)::

    .venv/bin/moto_server -H 127.0.0.1 -p 5000 &
    .venv/bin/python scripts/demo_aws.py --endpoint http://127.0.0.1:5000 [--reset]
        [--scenario normal|degraded] [--costs-out FILE] [--end-date YYYY-MM-DD]
    .venv/bin/python scripts/demo_aws_check.py --endpoint http://127.0.0.1:5000

Region us-east-1, account 123456789012 (moto's default), static credentials
``testing``/``testing``. Only loopback endpoints are accepted. Python 3.11, standard
library + boto3.

What is seeded (the shape follows fixtures/infrastructure-status.md)
--------------------------------------------------------------------
* ECS clusters ``backend-booking-dev`` / ``backend-booking-prod`` (FARGATE capacity
  providers). Task definition family ``backend-booking`` with two revisions
  (``:1`` image tag v1.41.0, ``:2`` image tag v1.42.0), so ``:1`` is the rollback
  target. Containers: ``django`` (image
  ``123456789012.dkr.ecr.us-east-1.amazonaws.com/backend-booking:<tag>``, port 8000,
  secrets DATABASE_URL / DJANGO_SECRET_KEY / DJANGO_ALLOWED_HOSTS / DJANGO_DEBUG as
  SSM parameter ARNs) and the ``pgbouncer`` sidecar (port 6432). The family is
  shared by both environments (as specified), so its secret ARNs can name only one
  environment's parameters: they point at ``/backend-booking/prod/*``.
  Services ``backend-booking-api`` in each cluster run ``backend-booking:2``
  (dev desired 1, prod desired 3), FARGATE, awsvpc in the default VPC, a load
  balancer entry (container django:8000 -> the env's target group) and the
  deployment circuit breaker (enable + rollback).
* ELBv2, in moto's default VPC (172.31.0.0/16, its subnets in us-east-1a/b, the
  VPC's ``default`` security group): ALBs ``bb-dev-alb`` / ``bb-prod-alb``, target
  groups ``bb-dev-api`` / ``bb-prod-api`` (HTTP:8000, target type ip, health check
  ``/health/``), an HTTP:80 listener forwarding to the target group, and one IP
  target per desired task (dev 1, prod 3) so DescribeTargetHealth answers (moto
  reports registered targets as healthy).
* RDS PostgreSQL 16.4: ``backend-booking-dev`` (db.t4g.micro, single-AZ) and
  ``backend-booking-prod`` (db.t4g.medium, MultiAZ).
* SSM under ``/backend-booking/<env>/``: String DJANGO_ALLOWED_HOSTS, DJANGO_DEBUG
  (dev "true", prod "false"), PGBOUNCER_POOL_SIZE; SecureString DATABASE_URL,
  DJANGO_SECRET_KEY. All values are obviously fake.
* CloudWatch alarms ``bb-<env>-api-5xx`` and ``bb-<env>-api-cpu-high``, state OK;
  with ``--scenario degraded`` ``bb-prod-api-cpu-high`` is put in ALARM
  (SetAlarmState). Running again without it puts it back to OK.
* Cost Explorer results (see the contract below), also written to ``--costs-out``.

Cost Explorer contract (moto 5.2.5)
-----------------------------------
moto does not compute costs. The seed queues exactly TWO GetCostAndUsage results
for account 123456789012 (POST /moto-api/static/ce/cost-and-usage-results). moto
binds the queue, in order, to request bodies it has not seen before (the key is the
exact body text; the parameters are otherwise ignored) and answers a body it has
seen with the same result again. The Rust side must therefore send, one after the
other (not concurrently), before any other GetCostAndUsage call:

  #1  Granularity DAILY,   TimePeriod {Start: W0, End: W1},
      Metrics ["UnblendedCost"],
      GroupBy [{Type: DIMENSION, Key: SERVICE}, {Type: TAG, Key: environment}]
      -> result #1: one ResultsByTime entry per day W0 .. W1-1 (End exclusive).
  #2  Granularity MONTHLY, same TimePeriod / Metrics / GroupBy
      -> result #2: one entry per calendar month (13 months, the last one ends at
         W1 and is partial unless E is a month's last day).

  E  = the end date: yesterday (UTC) at the first seeding, or --end-date.
  W0 = the first day of the month 12 months before E's month; W1 = E + 1 day.
  13 calendar months in all.

Result shape (both results): ``ResultsByTime[i] = {TimePeriod: {Start, End},
Total: {}, Groups: [{Keys: [<service>, "environment$<env>"], Metrics:
{UnblendedCost: {Amount: "<decimal string, 10 places>", Unit: "USD"}}}],
Estimated: <true in E's month>}``, ``GroupDefinitions`` = the GroupBy above,
``DimensionValueAttributes: []``, no ``NextPageToken`` (one page). Groups are in
the order dev then prod, services in this order:
  dev:  Amazon Elastic Container Service, Amazon Relational Database Service,
        Elastic Load Balancing, Amazon Virtual Private Cloud
  prod: Amazon Elastic Container Service, Amazon Relational Database Service,
        Amazon ElastiCache, Elastic Load Balancing, Amazon CloudFront,
        Amazon Simple Storage Service
Every MONTHLY amount is the exact sum of the DAILY amounts of that month.
Levels: dev about $75 a month (range 70-80), prod growing from about $380 to $425 a
month (range 365-475), month-to-month jitter within 2 %, day-to-day jitter within
6 % (random.Random seeded with strings, so identical for a given E). Anomaly: in
prod, on the 15th of the month before E's month, every prod service costs 3x its
normal amount for that day (the day's prod total is 3x a normal day).

Consequences of moto's queue:
* A third distinct body (other dates, a Filter, a NextPageToken, other Metrics)
  gets the empty result ``{ResultsByTime: [],
  DimensionValueAttributes: []}``. Keep the two bodies fixed for the process's
  life (compute W0/W1 once) or cache the answers.
* Whoever asks first takes the results. boto3 and the Rust SDK serialise the same
  request differently, so reading account 123456789012's costs with boto3 or the
  AWS CLI would leave the Rust app with empty answers. Therefore the seed queues an
  identical copy for the verification account 111122223333 (selected with moto's
  ``x-moto-account-id`` header), which demo_aws_check.py reads instead. (Do not
  start moto with MOTO_ACCOUNT_ID set: it overrides that header.)
* GetCostForecast is not implemented by moto (HTTP 500).
* The queue cannot be read back or cleared except by /moto-api/reset. For
  idempotence the seed records what it queued in an SSM parameter of the
  verification account (``/gantry-demo-seed/cost-explorer``: end date, digest,
  count). A later run without --reset finds it and queues nothing; it keeps the
  recorded end date (and says so) even if "yesterday" has moved on, and refuses an
  explicit different --end-date or changed data (use --reset).

moto 5.2.5 behaviours this script adapts to (beyond TOOLCHAIN.md)
------------------------------------------------------------------
* CreateService silently replaces an existing service, CreateLoadBalancer with an
  existing name creates a second ALB, CreateCluster replaces the cluster object: every
  resource is therefore looked up by name first and only created when missing.
* CreateService ignores ``deploymentConfiguration`` (DescribeServices shows none);
  UpdateService stores it, so the seed sets the circuit breaker with UpdateService.
* ``awsvpcConfiguration.securityGroups`` is mandatory (moto answers HTTP 500 with a
  KeyError without it).
* UpdateService stores ``taskDefinition`` verbatim (a ``family:rev`` string stays a
  string); the seed always passes full ARNs. UpdateService with a desiredCount
  also sets runningCount to it.
* The first call to a service after moto starts is slow (ECS about 5 s cold).
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import hashlib
import json
import random
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
VERIFY_ACCOUNT_ID = "111122223333"
ACCESS_KEY = "testing"
SECRET_KEY = "testing"
DEFAULT_ENDPOINT = "http://127.0.0.1:5000"

APP = "backend-booking"
ECR_REPO = f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/{APP}"
PGBOUNCER_IMAGE = "public.ecr.aws/bitnami/pgbouncer:1.23.1"
TASK_FAMILY = APP
SERVICE_NAME = f"{APP}-api"
IMAGE_TAGS = ("v1.41.0", "v1.42.0")  # revision 1, revision 2
SECRETS_ENV = "prod"  # whose SSM ARNs the shared task definition references
DJANGO_PORT = 8000
PGBOUNCER_PORT = 6432
EXECUTION_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/{APP}-ecs-execution"
TASK_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/{APP}-ecs-task"
LOG_GROUP = f"/ecs/{APP}"
CIRCUIT_BREAKER: dict[str, Any] = {
    "deploymentCircuitBreaker": {"enable": True, "rollback": True},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}

CE_MARKER = "/gantry-demo-seed/cost-explorer"
CE_GENERATOR_VERSION = 1
CE_METRIC = "UnblendedCost"
CE_GROUP_BY: list[dict[str, str]] = [
    {"Type": "DIMENSION", "Key": "SERVICE"},
    {"Type": "TAG", "Key": "environment"},
]
SVC_ECS = "Amazon Elastic Container Service"
SVC_RDS = "Amazon Relational Database Service"
SVC_ELB = "Elastic Load Balancing"
SVC_VPC = "Amazon Virtual Private Cloud"
SVC_CACHE = "Amazon ElastiCache"
SVC_CDN = "Amazon CloudFront"
SVC_S3 = "Amazon Simple Storage Service"
# Monthly $ per service: (first month of the window, last month), linear in between.
COST_PLAN: dict[str, dict[str, tuple[float, float]]] = {
    "dev": {
        SVC_ECS: (17.0, 17.0),
        SVC_RDS: (15.5, 15.5),
        SVC_ELB: (21.0, 21.0),
        SVC_VPC: (21.5, 21.5),
    },
    "prod": {
        SVC_ECS: (155.0, 180.0),
        SVC_RDS: (100.0, 100.0),
        SVC_CACHE: (50.0, 50.0),
        SVC_ELB: (25.0, 25.0),
        SVC_CDN: (25.0, 35.0),
        SVC_S3: (25.0, 35.0),
    },
}
COST_RANGES: dict[str, tuple[int, int]] = {"dev": (70, 80), "prod": (365, 475)}
MONTHS = 13
MONTH_JITTER = 0.02
DAY_JITTER = 0.06
ANOMALY_ENV = "prod"
ANOMALY_DAY = 15
ANOMALY_FACTOR = 3
AMOUNT_PLACES = Decimal("0.0000000001")


@dataclass(frozen=True)
class EnvSpec:
    name: str
    desired_count: int
    db_class: str
    multi_az: bool
    storage_gb: int
    backup_days: int
    allowed_hosts: str
    debug: str
    pool_size: str
    target_ips: tuple[str, ...]
    cpu_threshold: float
    errors_threshold: float

    @property
    def cluster(self) -> str:
        return f"{APP}-{self.name}"

    @property
    def alb(self) -> str:
        return f"bb-{self.name}-alb"

    @property
    def target_group(self) -> str:
        return f"bb-{self.name}-api"

    @property
    def db_id(self) -> str:
        return f"{APP}-{self.name}"

    @property
    def ssm_path(self) -> str:
        return f"/{APP}/{self.name}/"


ENVS: tuple[EnvSpec, ...] = (
    EnvSpec(
        name="dev",
        desired_count=1,
        db_class="db.t4g.micro",
        multi_az=False,
        storage_gb=20,
        backup_days=1,
        allowed_hosts="api.dev.backend-booking.example.test,localhost",
        debug="true",
        pool_size="10",
        target_ips=("172.31.1.10",),
        cpu_threshold=85.0,
        errors_threshold=50.0,
    ),
    EnvSpec(
        name="prod",
        desired_count=3,
        db_class="db.t4g.medium",
        multi_az=True,
        storage_gb=100,
        backup_days=7,
        allowed_hosts="api.backend-booking.example.test",
        debug="false",
        pool_size="25",
        target_ips=("172.31.1.20", "172.31.17.20", "172.31.1.21"),
        cpu_threshold=75.0,
        errors_threshold=20.0,
    ),
)


# The network outputs provisioning reads (outside every environment's prefix).
NETWORK_SUBNETS = f"/network/{APP}/private-subnets"
NETWORK_SECURITY_GROUPS = f"/network/{APP}/ecs-security-groups"


def ssm_values(env: EnvSpec) -> dict[str, tuple[str, str]]:
    """name -> (type, value); every value is fake."""
    host = f"{env.db_id}.demo-fake.{REGION}.rds.amazonaws.com"
    return {
        "DJANGO_ALLOWED_HOSTS": ("String", env.allowed_hosts),
        "DJANGO_DEBUG": ("String", env.debug),
        "PGBOUNCER_POOL_SIZE": ("String", env.pool_size),
        "DATABASE_URL": (
            "SecureString",
            f"postgres://booking_app:FAKE-{env.name}-password-not-real@{host}:5432/booking",
        ),
        "DJANGO_SECRET_KEY": (
            "SecureString",
            f"FAKE-{env.name}-django-secret-key-for-the-gantry-demo-only",
        ),
    }


def ssm_arn(env_name: str, key: str) -> str:
    return f"arn:aws:ssm:{REGION}:{ACCOUNT_ID}:parameter/{APP}/{env_name}/{key}"


def tags(env: str | None, style: str = "Key") -> list[dict[str, str]]:
    """Resource tags in the AWS API's two spellings (Key/Value or key/value)."""
    pairs = [("app", APP), ("managed-by", "gantry-demo-seed")]
    if env:
        pairs.append(("environment", env))
    if style == "key":
        return [{"key": k, "value": v} for k, v in pairs]
    return [{"Key": k, "Value": v} for k, v in pairs]


# ---------------------------------------------------------------------------------
# Cost Explorer data
# ---------------------------------------------------------------------------------


def yesterday_utc() -> dt.date:
    return dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """First day of the month `months` after day's month."""
    index = day.year * 12 + (day.month - 1) + months
    return dt.date(index // 12, index % 12 + 1, 1)


def cost_window(end: dt.date) -> tuple[dt.date, dt.date]:
    """(W0, W1): 13 calendar months, W1 exclusive (= end + 1 day)."""
    return add_months(end, -(MONTHS - 1)), end + dt.timedelta(days=1)


def anomaly_date(end: dt.date) -> dt.date:
    return add_months(end, -1).replace(day=ANOMALY_DAY)


def cost_requests(end: dt.date) -> list[dict[str, Any]]:
    """The GetCostAndUsage parameters of the contract, in queue order."""
    w0, w1 = cost_window(end)
    base: dict[str, Any] = {
        "TimePeriod": {"Start": w0.isoformat(), "End": w1.isoformat()},
        "Metrics": [CE_METRIC],
        "GroupBy": [dict(g) for g in CE_GROUP_BY],
    }
    return [{**base, "Granularity": "DAILY"}, {**base, "Granularity": "MONTHLY"}]


def days(start: dt.date, stop: dt.date) -> Iterator[dt.date]:
    d = start
    while d < stop:
        yield d
        d += dt.timedelta(days=1)


def money(value: Decimal) -> dict[str, dict[str, str]]:
    return {CE_METRIC: {"Amount": str(value.quantize(AMOUNT_PLACES)), "Unit": "USD"}}


def daily_amounts(end: dt.date) -> dict[dt.date, dict[tuple[str, str], Decimal]]:
    """date -> (env, service) -> amount, deterministic for a given end date."""
    w0, w1 = cost_window(end)
    spike = anomaly_date(end)
    out: dict[dt.date, dict[tuple[str, str], Decimal]] = {}
    for day in days(w0, w1):
        month_index = (day.year - w0.year) * 12 + day.month - w0.month
        month_days = calendar.monthrange(day.year, day.month)[1]
        row: dict[tuple[str, str], Decimal] = {}
        for env, plan in COST_PLAN.items():
            month_rng = random.Random(f"gantry-demo|{env}|{day:%Y-%m}")
            month_factor = 1 + month_rng.uniform(-MONTH_JITTER, MONTH_JITTER)
            for service, (first, last) in plan.items():
                monthly = first + (last - first) * month_index / (MONTHS - 1)
                day_rng = random.Random(f"gantry-demo|{env}|{service}|{day.isoformat()}")
                amount = monthly * month_factor / month_days
                amount *= 1 + day_rng.uniform(-DAY_JITTER, DAY_JITTER)
                if env == ANOMALY_ENV and day == spike:
                    amount *= ANOMALY_FACTOR
                row[(env, service)] = Decimal(amount).quantize(AMOUNT_PLACES, ROUND_HALF_EVEN)
        out[day] = row
    return out


def group_keys() -> list[tuple[str, str]]:
    return [(env, service) for env, plan in COST_PLAN.items() for service in plan]


def result_entry(
    start: dt.date, stop: dt.date, amounts: dict[tuple[str, str], Decimal], estimated: bool
) -> dict[str, Any]:
    return {
        "TimePeriod": {"Start": start.isoformat(), "End": stop.isoformat()},
        "Total": {},
        "Groups": [
            {"Keys": [service, f"environment${env}"], "Metrics": money(amounts[(env, service)])}
            for env, service in group_keys()
        ],
        "Estimated": estimated,
    }


def build_cost_data(end: dt.date) -> dict[str, Any]:
    """Everything about the Cost Explorer preload for end date `end`."""
    w0, w1 = cost_window(end)
    daily = daily_amounts(end)
    current_month = (end.year, end.month)
    daily_results = [
        result_entry(day, day + dt.timedelta(days=1), row, (day.year, day.month) == current_month)
        for day, row in daily.items()
    ]
    monthly_results = []
    monthly_totals: dict[str, dict[str, str]] = {env: {} for env in COST_PLAN}
    month_start = w0
    while month_start < w1:
        month_stop = min(add_months(month_start, 1), w1)
        sums = {key: Decimal(0) for key in group_keys()}
        for day in days(month_start, month_stop):
            for key, amount in daily[day].items():
                sums[key] += amount
        monthly_results.append(
            result_entry(
                month_start, month_stop, sums, (month_start.year, month_start.month) == current_month
            )
        )
        for env in COST_PLAN:
            total = sum((v for (e, _), v in sums.items() if e == env), Decimal(0))
            monthly_totals[env][f"{month_start:%Y-%m}"] = str(total.quantize(AMOUNT_PLACES))
        month_start = month_stop

    def wrap(results_by_time: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "ResultsByTime": results_by_time,
            "GroupDefinitions": [dict(g) for g in CE_GROUP_BY],
            "DimensionValueAttributes": [],
        }

    results = [wrap(daily_results), wrap(monthly_results)]
    spike = anomaly_date(end)
    spike_total = sum((v for (e, _), v in daily[spike].items() if e == ANOMALY_ENV), Decimal(0))
    return {
        "schema": "gantry-demo-costs/1",
        "generator_version": CE_GENERATOR_VERSION,
        "account_id": ACCOUNT_ID,
        "verify_account_id": VERIFY_ACCOUNT_ID,
        "end_date": end.isoformat(),
        "window": {"start": w0.isoformat(), "end_exclusive": w1.isoformat()},
        "requests": [
            {"order": i + 1, "granularity": r["Granularity"], "params": r}
            for i, r in enumerate(cost_requests(end))
        ],
        "results": results,
        "digest": digest(results),
        "monthly_totals": monthly_totals,
        "ranges": {env: list(r) for env, r in COST_RANGES.items()},
        "anomaly": {
            "env": ANOMALY_ENV,
            "date": spike.isoformat(),
            "factor": ANOMALY_FACTOR,
            "total": str(spike_total),
        },
    }


def digest(results: list[dict[str, Any]]) -> str:
    blob = json.dumps(results, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()


# ---------------------------------------------------------------------------------
# Plumbing
# ---------------------------------------------------------------------------------


class SeedError(Exception):
    pass


def check_loopback(endpoint: str) -> str:
    parsed = urllib.parse.urlparse(endpoint)
    if parsed.scheme not in ("http", "https") or parsed.hostname not in (
        "127.0.0.1",
        "localhost",
        "::1",
    ):
        raise SeedError(f"refusing non-loopback endpoint {endpoint!r} (moto only)")
    return endpoint.rstrip("/")


_SESSION: boto3.session.Session | None = None


def session() -> boto3.session.Session:
    """One shared session: its loader caches service models (a client is then ~10x cheaper)."""
    global _SESSION
    if _SESSION is None:
        _SESSION = boto3.session.Session()
    return _SESSION


def make_client(service: str, endpoint: str, account: str | None = None) -> Any:
    """A boto3 client for moto; `account` selects another moto account via header."""
    config = Config(
        region_name=REGION,
        retries={"max_attempts": 2, "mode": "standard"},
        connect_timeout=5,
        read_timeout=60,
        proxies={},  # never an environment proxy, loopback only
    )
    boto: Any = session()  # a plain str service name (the stubs want literals)
    client = boto.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=config,
    )
    if account is not None:

        def add_header(request: Any, **_: Any) -> None:
            request.headers["x-moto-account-id"] = account

        client.meta.events.register("before-sign.*.*", add_header)
    return client


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def moto_api(endpoint: str, path: str, body: Any | None = None, method: str = "POST") -> bytes:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        f"{endpoint}{path}", data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with _OPENER.open(req, timeout=60) as resp:
        return bytes(resp.read())


def wait_for_moto(endpoint: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            moto_api(endpoint, "/moto-api/", method="GET")
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            if time.monotonic() > deadline:
                raise SeedError(f"moto is not answering at {endpoint}: {exc}") from exc
            time.sleep(0.1)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class Seeder:
    def __init__(self, endpoint: str, scenario: str) -> None:
        self.endpoint = endpoint
        self.scenario = scenario
        self.changes: list[str] = []
        self.unchanged = 0
        self._clients: dict[tuple[str, str | None], Any] = {}

    def client(self, service: str, account: str | None = None) -> Any:
        key = (service, account)
        if key not in self._clients:
            self._clients[key] = make_client(service, self.endpoint, account)
        return self._clients[key]

    def changed(self, what: str) -> None:
        self.changes.append(what)
        print(f"  {what}")

    def same(self) -> None:
        self.unchanged += 1

    # ---- SSM ------------------------------------------------------------------
    def ensure_parameter(
        self,
        name: str,
        ptype: str,
        value: str,
        env: str | None,
        account: str | None = None,
        description: str = "",
    ) -> None:
        ssm = self.client("ssm", account)
        try:
            current = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
        except ClientError as exc:
            if error_code(exc) != "ParameterNotFound":
                raise
            current = None
        if current and current["Type"] == ptype and current["Value"] == value:
            self.same()
            return
        kwargs: dict[str, Any] = {"Name": name, "Value": value, "Type": ptype}
        if description:
            kwargs["Description"] = description
        if current:
            ssm.put_parameter(Overwrite=True, **kwargs)
            self.changed(f"updated SSM parameter {name}")
        else:
            ssm.put_parameter(Tags=tags(env), **kwargs)
            self.changed(f"created SSM parameter {name} ({ptype})")

    def seed_ssm(self) -> None:
        for env in ENVS:
            for key, (ptype, value) in ssm_values(env).items():
                self.ensure_parameter(
                    f"{env.ssm_path}{key}",
                    ptype,
                    value,
                    env.name,
                    description=f"Backend Booking {env.name} {key} (demo, fake)",
                )

    # ---- network / ELBv2 ---------------------------------------------------------
    def default_network(self) -> tuple[str, list[str], str]:
        ec2 = self.client("ec2")
        vpcs = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"]
        if not vpcs:
            raise SeedError("moto has no default VPC in us-east-1")
        vpc_id = vpcs[0]["VpcId"]
        subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
        by_az = sorted(subnets, key=lambda s: s["AvailabilityZone"])
        chosen = [s["SubnetId"] for s in by_az if s["AvailabilityZone"] in ("us-east-1a", "us-east-1b")]
        if len(chosen) < 2:
            chosen = [s["SubnetId"] for s in by_az[:2]]
        groups = ec2.describe_security_groups(
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
        )["SecurityGroups"]
        return vpc_id, chosen, groups[0]["GroupId"]

    def ensure_alb(self, env: EnvSpec, subnets: list[str], sg: str) -> str:
        elb = self.client("elbv2")
        try:
            lb = elb.describe_load_balancers(Names=[env.alb])["LoadBalancers"][0]
            self.same()
        except ClientError as exc:
            if error_code(exc) != "LoadBalancerNotFound":
                raise
            lb = elb.create_load_balancer(
                Name=env.alb,
                Subnets=subnets,
                SecurityGroups=[sg],
                Scheme="internet-facing",
                Type="application",
                IpAddressType="ipv4",
                Tags=tags(env.name),
            )["LoadBalancers"][0]
            self.changed(f"created ALB {env.alb}")
        return str(lb["LoadBalancerArn"])

    def ensure_target_group(self, env: EnvSpec, vpc_id: str) -> str:
        elb = self.client("elbv2")
        health = {
            "HealthCheckProtocol": "HTTP",
            "HealthCheckPath": "/health/",
            "HealthCheckIntervalSeconds": 30,
            "HealthCheckTimeoutSeconds": 5,
            "HealthyThresholdCount": 2,
            "UnhealthyThresholdCount": 3,
            "Matcher": {"HttpCode": "200"},
        }
        try:
            tg = elb.describe_target_groups(Names=[env.target_group])["TargetGroups"][0]
        except ClientError as exc:
            if error_code(exc) != "TargetGroupNotFound":
                raise
            tg = elb.create_target_group(
                Name=env.target_group,
                Protocol="HTTP",
                Port=DJANGO_PORT,
                VpcId=vpc_id,
                TargetType="ip",
                Tags=tags(env.name),
                **health,
            )["TargetGroups"][0]
            self.changed(f"created target group {env.target_group} (health check /health/)")
            return str(tg["TargetGroupArn"])
        if tg.get("HealthCheckPath") != "/health/" or tg.get("Matcher", {}).get("HttpCode") != "200":
            elb.modify_target_group(TargetGroupArn=tg["TargetGroupArn"], **health)
            self.changed(f"updated target group {env.target_group} health check")
        else:
            self.same()
        return str(tg["TargetGroupArn"])

    def ensure_listener(self, env: EnvSpec, lb_arn: str, tg_arn: str) -> None:
        elb = self.client("elbv2")
        action = [{"Type": "forward", "TargetGroupArn": tg_arn}]
        for listener in elb.describe_listeners(LoadBalancerArn=lb_arn)["Listeners"]:
            if listener["Port"] == 80:
                current = [(a.get("Type"), a.get("TargetGroupArn")) for a in listener["DefaultActions"]]
                if current == [("forward", tg_arn)]:
                    self.same()
                else:
                    elb.modify_listener(ListenerArn=listener["ListenerArn"], DefaultActions=action)
                    self.changed(f"updated {env.alb} listener :80 -> {env.target_group}")
                return
        elb.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTP", Port=80, DefaultActions=action)
        self.changed(f"created {env.alb} listener HTTP:80 -> {env.target_group}")

    def ensure_targets(self, env: EnvSpec, tg_arn: str) -> None:
        elb = self.client("elbv2")
        current = {
            (d["Target"]["Id"], d["Target"].get("Port"))
            for d in elb.describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]
        }
        wanted = {(ip, DJANGO_PORT) for ip in env.target_ips}
        extra = sorted(current - wanted)
        missing = sorted(wanted - current)
        if extra:
            elb.deregister_targets(TargetGroupArn=tg_arn, Targets=[{"Id": i, "Port": p} for i, p in extra])
            self.changed(f"deregistered {len(extra)} stray target(s) from {env.target_group}")
        if missing:
            elb.register_targets(TargetGroupArn=tg_arn, Targets=[{"Id": i, "Port": p} for i, p in missing])
            self.changed(f"registered {len(missing)} IP target(s) in {env.target_group}")
        if not extra and not missing:
            self.same()

    # ---- RDS --------------------------------------------------------------------
    def ensure_db(self, env: EnvSpec, sg: str) -> None:
        rds = self.client("rds")
        try:
            db = rds.describe_db_instances(DBInstanceIdentifier=env.db_id)["DBInstances"][0]
        except ClientError as exc:
            if error_code(exc) != "DBInstanceNotFound":
                raise
            rds.create_db_instance(
                DBInstanceIdentifier=env.db_id,
                DBInstanceClass=env.db_class,
                Engine="postgres",
                EngineVersion="16.4",
                DBName="booking",
                MasterUsername="booking_admin",
                MasterUserPassword="FAKE-password-not-real",
                AllocatedStorage=env.storage_gb,
                StorageType="gp3",
                StorageEncrypted=True,
                MultiAZ=env.multi_az,
                BackupRetentionPeriod=env.backup_days,
                PubliclyAccessible=False,
                VpcSecurityGroupIds=[sg],
                Tags=tags(env.name),
            )
            self.changed(f"created RDS {env.db_id} ({env.db_class}, MultiAZ={env.multi_az})")
            return
        if db["DBInstanceClass"] != env.db_class or bool(db.get("MultiAZ")) != env.multi_az:
            rds.modify_db_instance(
                DBInstanceIdentifier=env.db_id,
                DBInstanceClass=env.db_class,
                MultiAZ=env.multi_az,
                ApplyImmediately=True,
            )
            self.changed(f"updated RDS {env.db_id} to {env.db_class}, MultiAZ={env.multi_az}")
        else:
            self.same()

    # ---- ECS --------------------------------------------------------------------
    def ensure_cluster(self, env: EnvSpec) -> None:
        ecs = self.client("ecs")
        found = ecs.describe_clusters(clusters=[env.cluster])["clusters"]
        if any(c["status"] == "ACTIVE" for c in found):
            self.same()
            return
        ecs.create_cluster(
            clusterName=env.cluster,
            tags=tags(env.name, "key"),
            settings=[{"name": "containerInsights", "value": "enabled"}],
            capacityProviders=["FARGATE", "FARGATE_SPOT"],
            defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}],
        )
        self.changed(f"created ECS cluster {env.cluster}")

    @staticmethod
    def container_definitions(image_tag: str) -> list[dict[str, Any]]:
        def secret(name: str, key: str | None = None) -> dict[str, str]:
            return {"name": name, "valueFrom": ssm_arn(SECRETS_ENV, key or name)}

        def logs(prefix: str) -> dict[str, Any]:
            return {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": LOG_GROUP,
                    "awslogs-region": REGION,
                    "awslogs-stream-prefix": prefix,
                },
            }

        return [
            {
                "name": "django",
                "image": f"{ECR_REPO}:{image_tag}",
                "essential": True,
                "cpu": 384,
                "memory": 768,
                "portMappings": [{"containerPort": DJANGO_PORT, "hostPort": DJANGO_PORT, "protocol": "tcp"}],
                "environment": [
                    {"name": "DJANGO_SETTINGS_MODULE", "value": "config.settings.production"},
                    {"name": "DATABASE_HOST", "value": "127.0.0.1"},
                    {"name": "DATABASE_PORT", "value": str(PGBOUNCER_PORT)},
                ],
                "secrets": [
                    secret("DATABASE_URL"),
                    secret("DJANGO_SECRET_KEY"),
                    secret("DJANGO_ALLOWED_HOSTS"),
                    secret("DJANGO_DEBUG"),
                ],
                "dependsOn": [{"containerName": "pgbouncer", "condition": "START"}],
                "logConfiguration": logs("django"),
            },
            {
                "name": "pgbouncer",
                "image": PGBOUNCER_IMAGE,
                "essential": True,
                "cpu": 128,
                "memory": 256,
                "portMappings": [
                    {"containerPort": PGBOUNCER_PORT, "hostPort": PGBOUNCER_PORT, "protocol": "tcp"}
                ],
                "environment": [
                    {"name": "PGBOUNCER_PORT", "value": str(PGBOUNCER_PORT)},
                    {"name": "PGBOUNCER_POOL_MODE", "value": "transaction"},
                ],
                "secrets": [
                    secret("DATABASE_URL"),
                    secret("PGBOUNCER_DEFAULT_POOL_SIZE", "PGBOUNCER_POOL_SIZE"),
                ],
                "logConfiguration": logs("pgbouncer"),
            },
        ]

    def ensure_task_definitions(self) -> str:
        """Revisions 1 and 2 of the family; returns revision 2's ARN."""
        ecs = self.client("ecs")
        arns: list[str] = ecs.list_task_definitions(familyPrefix=TASK_FAMILY, sort="ASC")[
            "taskDefinitionArns"
        ]
        arns = [a for a in arns if a.split("/")[-1].rsplit(":", 1)[0] == TASK_FAMILY]
        for index, tag in enumerate(IMAGE_TAGS):
            wanted_image = f"{ECR_REPO}:{tag}"
            if index < len(arns):
                td = ecs.describe_task_definition(taskDefinition=arns[index])["taskDefinition"]
                images = {c["name"]: c["image"] for c in td["containerDefinitions"]}
                if (
                    td["revision"] != index + 1
                    or images.get("django") != wanted_image
                    or "pgbouncer" not in images
                ):
                    raise SeedError(
                        f"{arns[index]} is not what this script registers (django image "
                        f"{images.get('django')!r}, want {wanted_image!r}); rerun with --reset"
                    )
                self.same()
                continue
            td = ecs.register_task_definition(
                family=TASK_FAMILY,
                taskRoleArn=TASK_ROLE,
                executionRoleArn=EXECUTION_ROLE,
                networkMode="awsvpc",
                requiresCompatibilities=["FARGATE"],
                cpu="512",
                memory="1024",
                containerDefinitions=self.container_definitions(tag),
                tags=tags(None, "key"),
            )["taskDefinition"]
            arns.append(td["taskDefinitionArn"])
            self.changed(f"registered task definition {TASK_FAMILY}:{td['revision']} (django {tag})")
        if len(arns) > len(IMAGE_TAGS):
            raise SeedError(
                f"{TASK_FAMILY} has {len(arns)} revisions, expected {len(IMAGE_TAGS)}; rerun with --reset"
            )
        return arns[len(IMAGE_TAGS) - 1]

    def ensure_service(
        self, env: EnvSpec, task_def_arn: str, tg_arn: str, subnets: list[str], sg: str
    ) -> None:
        ecs = self.client("ecs")
        lbs = [{"targetGroupArn": tg_arn, "containerName": "django", "containerPort": DJANGO_PORT}]
        found = [
            s
            for s in ecs.describe_services(cluster=env.cluster, services=[SERVICE_NAME])["services"]
            if s.get("status") == "ACTIVE"
        ]
        if not found:
            ecs.create_service(
                cluster=env.cluster,
                serviceName=SERVICE_NAME,
                taskDefinition=task_def_arn,
                desiredCount=env.desired_count,
                launchType="FARGATE",
                platformVersion="LATEST",
                loadBalancers=lbs,
                schedulingStrategy="REPLICA",
                propagateTags="SERVICE",
                deploymentController={"type": "ECS"},
                networkConfiguration={
                    "awsvpcConfiguration": {
                        "subnets": subnets,
                        "securityGroups": [sg],
                        "assignPublicIp": "DISABLED",
                    }
                },
                tags=tags(env.name, "key"),
            )
            # moto's CreateService drops deploymentConfiguration; UpdateService keeps it.
            ecs.update_service(
                cluster=env.cluster, service=SERVICE_NAME, deploymentConfiguration=CIRCUIT_BREAKER
            )
            self.changed(
                f"created ECS service {env.cluster}/{SERVICE_NAME} "
                f"(desired {env.desired_count}, {TASK_FAMILY}:{len(IMAGE_TAGS)})"
            )
            return
        svc = found[0]
        update: dict[str, Any] = {}
        if svc.get("desiredCount") != env.desired_count:
            update["desiredCount"] = env.desired_count
        if svc.get("taskDefinition") != task_def_arn:
            update["taskDefinition"] = task_def_arn
        if svc.get("deploymentConfiguration") != CIRCUIT_BREAKER:
            update["deploymentConfiguration"] = CIRCUIT_BREAKER
        if svc.get("loadBalancers") != lbs:
            update["loadBalancers"] = lbs
        if update:
            ecs.update_service(cluster=env.cluster, service=SERVICE_NAME, **update)
            self.changed(f"updated ECS service {env.cluster}/{SERVICE_NAME}: {', '.join(sorted(update))}")
        else:
            self.same()

    # ---- CloudWatch -------------------------------------------------------------
    def alarm_specs(self, env: EnvSpec, lb_arn: str) -> list[dict[str, Any]]:
        lb_dimension = lb_arn.split(":loadbalancer/", 1)[1]
        return [
            {
                "AlarmName": f"bb-{env.name}-api-5xx",
                "AlarmDescription": f"Backend Booking {env.name}: target 5xx responses on {env.alb}",
                "Namespace": "AWS/ApplicationELB",
                "MetricName": "HTTPCode_Target_5XX_Count",
                "Dimensions": [{"Name": "LoadBalancer", "Value": lb_dimension}],
                "Statistic": "Sum",
                "Period": 60,
                "EvaluationPeriods": 5,
                "Threshold": env.errors_threshold,
                "ComparisonOperator": "GreaterThanThreshold",
                "TreatMissingData": "notBreaching",
            },
            {
                "AlarmName": f"bb-{env.name}-api-cpu-high",
                "AlarmDescription": (
                    f"Backend Booking {env.name}: ECS service CPU above {env.cpu_threshold:g}%"
                ),
                "Namespace": "AWS/ECS",
                "MetricName": "CPUUtilization",
                "Dimensions": [
                    {"Name": "ClusterName", "Value": env.cluster},
                    {"Name": "ServiceName", "Value": SERVICE_NAME},
                ],
                "Statistic": "Average",
                "Period": 300,
                "EvaluationPeriods": 3,
                "Threshold": env.cpu_threshold,
                "ComparisonOperator": "GreaterThanThreshold",
                "TreatMissingData": "missing",
            },
        ]

    def ensure_alarms(self, env: EnvSpec, lb_arn: str) -> None:
        cw = self.client("cloudwatch")
        for spec in self.alarm_specs(env, lb_arn):
            name = spec["AlarmName"]
            found = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"]
            current = found[0] if found else None
            if current is None or any(_norm(current.get(k)) != _norm(v) for k, v in spec.items()):
                cw.put_metric_alarm(Tags=tags(env.name), **spec)
                self.changed(f"{'updated' if current else 'created'} alarm {name}")
                current = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
            else:
                self.same()
            degraded = self.scenario == "degraded" and name == "bb-prod-api-cpu-high"
            want = "ALARM" if degraded else "OK"
            if current["StateValue"] != want:
                reason = (
                    "Demo scenario 'degraded': CPUUtilization 93.4 > 75 for 3 datapoints"
                    if degraded
                    else "Demo seed: back to normal"
                )
                data = {"version": "1.0", "scenario": self.scenario}
                cw.set_alarm_state(
                    AlarmName=name, StateValue=want, StateReason=reason, StateReasonData=json.dumps(data)
                )
                self.changed(f"set alarm {name} to {want}")

    # ---- Cost Explorer ------------------------------------------------------------
    def seed_costs(self, end_arg: dt.date | None) -> dict[str, Any]:
        ssm = self.client("ssm", VERIFY_ACCOUNT_ID)
        try:
            marker = json.loads(ssm.get_parameter(Name=CE_MARKER)["Parameter"]["Value"])
        except ClientError as exc:
            if error_code(exc) != "ParameterNotFound":
                raise
            marker = None
        if marker is not None:
            end = dt.date.fromisoformat(marker["end_date"])
            if end_arg is not None and end_arg != end:
                raise SeedError(
                    f"Cost Explorer results for end date {end} are already queued and moto cannot "
                    f"replace them; rerun with --reset to load end date {end_arg}"
                )
            data = build_cost_data(end)
            if marker.get("digest") != data["digest"]:
                raise SeedError(
                    "queued Cost Explorer results differ from what this script generates "
                    "(script changed?); rerun with --reset"
                )
            if end_arg is None and end != yesterday_utc():
                print(f"  note: Cost Explorer data ends {end} (seeded earlier); --reset to refresh")
            self.same()
            return data
        end = end_arg or yesterday_utc()
        data = build_cost_data(end)
        for account in (ACCOUNT_ID, VERIFY_ACCOUNT_ID):
            moto_api(
                self.endpoint,
                "/moto-api/static/ce/cost-and-usage-results",
                {"account_id": account, "results": data["results"]},
            )
        marker = {
            "end_date": end.isoformat(),
            "digest": data["digest"],
            "results": len(data["results"]),
            "accounts": [ACCOUNT_ID, VERIFY_ACCOUNT_ID],
            "generator_version": CE_GENERATOR_VERSION,
        }
        self.ensure_parameter(
            CE_MARKER,
            "String",
            json.dumps(marker, sort_keys=True),
            None,
            account=VERIFY_ACCOUNT_ID,
            description="What demo_aws.py queued in moto's Cost Explorer",
        )
        self.changed(
            f"queued {len(data['results'])} Cost Explorer results (DAILY, MONTHLY; "
            f"{data['window']['start']}..{end}) for accounts {ACCOUNT_ID} and {VERIFY_ACCOUNT_ID}"
        )
        return data

    # ---- everything -------------------------------------------------------------
    def run(self, end_arg: dt.date | None) -> dict[str, Any]:
        self.seed_ssm()
        vpc_id, subnets, sg = self.default_network()
        # What Terraform's network module would publish: provisioning reads
        # the subnets and security group of new services from here.
        self.ensure_parameter(NETWORK_SUBNETS, "StringList", ",".join(subnets), None)
        self.ensure_parameter(NETWORK_SECURITY_GROUPS, "StringList", sg, None)
        network: dict[str, tuple[str, str]] = {}
        for env in ENVS:
            lb_arn = self.ensure_alb(env, subnets, sg)
            tg_arn = self.ensure_target_group(env, vpc_id)
            self.ensure_listener(env, lb_arn, tg_arn)
            self.ensure_targets(env, tg_arn)
            network[env.name] = (lb_arn, tg_arn)
        for env in ENVS:
            self.ensure_db(env, sg)
        for env in ENVS:
            self.ensure_cluster(env)
        task_def_arn = self.ensure_task_definitions()
        for env in ENVS:
            self.ensure_service(env, task_def_arn, network[env.name][1], subnets, sg)
        for env in ENVS:
            self.ensure_alarms(env, network[env.name][0])
        return self.seed_costs(end_arg)


def _norm(value: Any) -> Any:
    """Compare API values loosely (numbers as floats, lists of dicts sorted)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, list):
        items = [_norm(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, default=str))
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    return value


def summary(seeder: Seeder, data: dict[str, Any]) -> str:
    """What exists now, read back from moto."""
    ecs = seeder.client("ecs")
    elb = seeder.client("elbv2")
    rds = seeder.client("rds")
    ssm = seeder.client("ssm")
    cw = seeder.client("cloudwatch")
    clusters = [a for a in ecs.list_clusters()["clusterArns"] if APP in a]
    services = sum(len(ecs.list_services(cluster=c)["serviceArns"]) for c in clusters)
    revisions = [
        a
        for a in ecs.list_task_definitions(familyPrefix=TASK_FAMILY)["taskDefinitionArns"]
        if a.split("/")[-1].rsplit(":", 1)[0] == TASK_FAMILY
    ]
    lbs = elb.describe_load_balancers()["LoadBalancers"]
    tgs = elb.describe_target_groups()["TargetGroups"]
    listeners = sum(
        len(elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]) for lb in lbs
    )
    targets = sum(
        len(elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"])
        for tg in tgs
    )
    dbs = rds.describe_db_instances()["DBInstances"]
    params: list[dict[str, Any]] = []
    for page in ssm.get_paginator("get_parameters_by_path").paginate(Path=f"/{APP}/", Recursive=True):
        params.extend(page["Parameters"])
    secure = sum(1 for p in params if p["Type"] == "SecureString")
    alarms = cw.describe_alarms()["MetricAlarms"]
    in_alarm = [a["AlarmName"] for a in alarms if a["StateValue"] == "ALARM"]
    db_list = ", ".join(
        f"{d['DBInstanceIdentifier']} {d['DBInstanceClass']} MultiAZ={d['MultiAZ']}" for d in dbs
    )
    lines = [
        "Demo AWS account (moto, us-east-1, 123456789012):",
        (
            f"  ECS clusters {len(clusters)}, services {services}, "
            f"task definition revisions {len(revisions)} ({TASK_FAMILY}:1..{len(revisions)})"
        ),
        (
            f"  ELBv2 load balancers {len(lbs)}, target groups {len(tgs)}, "
            f"listeners {listeners}, targets {targets}"
        ),
        f"  RDS instances {len(dbs)} ({db_list})",
        f"  SSM parameters {len(params)} under /{APP}/ ({secure} SecureString)",
        f"  CloudWatch alarms {len(alarms)} (ALARM: {', '.join(in_alarm) or 'none'})",
        (
            f"  Cost Explorer: {len(data['results'])} queued results, window {data['window']['start']}"
            f"..{data['end_date']}, anomaly {data['anomaly']['env']} {data['anomaly']['date']} "
            f"(${Decimal(data['anomaly']['total']):.2f}, {data['anomaly']['factor']}x)"
        ),
        "  Monthly cost (USD)   dev      prod",
    ]
    for month in data["monthly_totals"]["dev"]:
        dev = Decimal(data["monthly_totals"]["dev"][month])
        prod = Decimal(data["monthly_totals"]["prod"][month])
        note = " (partial)" if month == data["end_date"][:7] and not _month_complete(data["end_date"]) else ""
        lines.append(f"    {month}        {dev:7.2f}  {prod:8.2f}{note}")
    return "\n".join(lines)


def _month_complete(end_iso: str) -> bool:
    end = dt.date.fromisoformat(end_iso)
    return end.day == calendar.monthrange(end.year, end.month)[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--endpoint", default=DEFAULT_ENDPOINT, help=f"moto server (default {DEFAULT_ENDPOINT})"
    )
    parser.add_argument(
        "--reset", action="store_true", help="POST /moto-api/reset first (clears ALL moto state)"
    )
    parser.add_argument(
        "--scenario",
        choices=("normal", "degraded"),
        default="normal",
        help="degraded: bb-prod-api-cpu-high in ALARM",
    )
    parser.add_argument("--costs-out", metavar="FILE", help="write the Cost Explorer data as JSON")
    parser.add_argument(
        "--end-date",
        type=dt.date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="last day of cost data (default: yesterday, UTC)",
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="wait this long for moto to answer (default 10)",
    )
    args = parser.parse_args(argv)

    started = time.monotonic()
    try:
        endpoint = check_loopback(args.endpoint)
        wait_for_moto(endpoint, args.wait)
        if args.reset:
            moto_api(endpoint, "/moto-api/reset")
            print(f"reset moto at {endpoint}")
        seeder = Seeder(endpoint, args.scenario)
        print(f"seeding {endpoint} (scenario {args.scenario})")
        data = seeder.run(args.end_date)
        if args.costs_out:
            with open(args.costs_out, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=1)
                fh.write("\n")
        print(summary(seeder, data))
    except SeedError as exc:
        print(f"demo_aws: error: {exc}", file=sys.stderr)
        return 1
    except ClientError as exc:
        print(f"demo_aws: AWS API error: {exc}", file=sys.stderr)
        return 1
    except urllib.error.URLError as exc:
        print(f"demo_aws: moto API error: {exc}", file=sys.stderr)
        return 1
    elapsed = time.monotonic() - started
    n = len(seeder.changes)
    print(
        f"{'no changes' if n == 0 else f'{n} change(s)'}, {seeder.unchanged} resource(s) already as wanted; "
        f"{elapsed:.2f} s"
    )
    if args.costs_out:
        print(f"Cost Explorer data written to {args.costs_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
