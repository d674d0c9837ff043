#!/usr/bin/env python3
"""Verify, through boto3, that a moto server holds the demo account seeded by demo_aws.py.

Usage (from the repository root)::

    .venv/bin/python scripts/demo_aws_check.py --endpoint http://127.0.0.1:5000
        [--scenario normal|degraded] [--costs-file FILE] [--dump-state FILE]
        [--ce-account verify|app]

Reads everything back and checks its shape: ECS clusters, services (desired counts,
FARGATE, load balancer entry, circuit breaker, revision 2), the task definition's two
revisions and their containers, ALBs / target groups / listeners / target health in
the default VPC, RDS engines, classes and MultiAZ flags, the SSM parameters (types,
fake values, DJANGO_DEBUG false in prod), the CloudWatch alarms and their states, and
Cost Explorer: the two GetCostAndUsage requests of the contract in demo_aws.py's
docstring, in that order, must answer exactly the data demo_aws.py generates (and,
with --costs-file, what it wrote there); a repeated request the same again; a third
distinct request nothing (so nothing was queued twice). Independently of the
generator it checks that each MONTHLY amount is the sum of its DAILY amounts, that
complete months lie within the seed document's ranges (dev 70-80, prod 365-475 USD;
the partial last month by its run rate), and that exactly one prod day stands out,
at 3x its month's median, on the 15th of the previous month.

Cost Explorer is read in the verification account 111122223333 by default (header
x-moto-account-id), which holds an identical copy of the queue, because whoever asks
first takes moto's queued results: reading account 123456789012's with boto3 would
leave the Rust app empty answers. ``--ce-account app`` checks the app's own account
anyway (only on a server nobody else will use afterwards).

``--dump-state FILE`` writes everything read (minus request metadata) as JSON, so two
runs can be diffed to prove that a second seeding changed nothing.

Exit status: 0 when everything matches, 1 on any mismatch (each one listed), 2 when
moto cannot be reached or the arguments are wrong.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import urllib.error
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

sys.dont_write_bytecode = True  # no __pycache__ in scripts/
sys.path.insert(0, str(Path(__file__).resolve().parent))
import demo_aws  # noqa: E402  (sibling script: client setup and the cost generator)

ACCOUNT = "123456789012"
REGION = "us-east-1"
APP = "backend-booking"
SERVICE = "backend-booking-api"
ECR = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/backend-booking:"
EXPECTED_ENVS: dict[str, dict[str, Any]] = {
    "dev": {
        "desired": 1,
        "db_class": "db.t4g.micro",
        "multi_az": False,
        "range": (70, 80),
        "services": [
            "Amazon Elastic Container Service",
            "Amazon Relational Database Service",
            "Elastic Load Balancing",
            "Amazon Virtual Private Cloud",
        ],
    },
    "prod": {
        "desired": 3,
        "db_class": "db.t4g.medium",
        "multi_az": True,
        "range": (365, 475),
        "services": [
            "Amazon Elastic Container Service",
            "Amazon Relational Database Service",
            "Amazon ElastiCache",
            "Elastic Load Balancing",
            "Amazon CloudFront",
            "Amazon Simple Storage Service",
        ],
    },
}
SSM_TYPES = {
    "DJANGO_ALLOWED_HOSTS": "String",
    "DJANGO_DEBUG": "String",
    "PGBOUNCER_POOL_SIZE": "String",
    "DATABASE_URL": "SecureString",
    "DJANGO_SECRET_KEY": "SecureString",
}


# Fields moto computes from the clock on every read (not state): left out of --dump-state.
VOLATILE_FIELDS = {"LatestRestorableTime"}


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items() if k not in VOLATILE_FIELDS}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


class Check:
    def __init__(self) -> None:
        self.failures: list[str] = []
        self.passed = 0
        self.state: dict[str, Any] = {}

    def expect(self, ok: bool, message: str) -> bool:
        if ok:
            self.passed += 1
        else:
            self.failures.append(message)
        return ok

    def equal(self, actual: Any, expected: Any, what: str) -> bool:
        return self.expect(actual == expected, f"{what}: got {actual!r}, expected {expected!r}")

    def record(self, key: str, value: Any) -> Any:
        """Keep a response for --dump-state (without request metadata) and return it."""
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if k != "ResponseMetadata"}
        self.state[key] = _scrub(value)
        return value

    def section(self, name: str, body: Callable[[], None]) -> None:
        before = len(self.failures)
        try:
            body()
        except ClientError as exc:
            self.failures.append(f"{name}: AWS API error {exc}")
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            self.failures.append(f"{name}: unexpected response shape ({type(exc).__name__}: {exc})")
        status = "ok" if len(self.failures) == before else f"{len(self.failures) - before} problem(s)"
        print(f"  {name:<28} {status}")


class Verifier:
    def __init__(self, endpoint: str, scenario: str, ce_account: str, costs_file: str | None) -> None:
        self.endpoint = endpoint
        self.scenario = scenario
        self.ce_account = ce_account
        self.costs_file = costs_file
        self.c = Check()
        self._clients: dict[tuple[str, str | None], Any] = {}
        self.vpc_id = ""
        self.vpc_subnets: set[str] = set()
        self.tg_arns: dict[str, str] = {}

    @property
    def ce_account_id(self) -> str:
        if self.ce_account == "app":
            return f"{ACCOUNT}, the app's: this consumes its queued results"
        return demo_aws.VERIFY_ACCOUNT_ID

    def client(self, service: str, account: str | None = None) -> Any:
        if (service, account) not in self._clients:
            self._clients[(service, account)] = demo_aws.make_client(service, self.endpoint, account)
        return self._clients[(service, account)]

    # ---- network ------------------------------------------------------------------
    def network(self) -> None:
        c, ec2 = self.c, self.client("ec2")
        vpcs = c.record(
            "ec2.default_vpcs", ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])
        )["Vpcs"]
        if not c.expect(len(vpcs) == 1, "no default VPC"):
            return
        self.vpc_id = vpcs[0]["VpcId"]
        subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [self.vpc_id]}])["Subnets"]
        self.vpc_subnets = {s["SubnetId"] for s in subnets}

    def elbv2(self) -> None:
        c, elb = self.c, self.client("elbv2")
        all_lbs = c.record("elbv2.load_balancers", elb.describe_load_balancers())["LoadBalancers"]
        all_tgs = c.record("elbv2.target_groups", elb.describe_target_groups())["TargetGroups"]
        c.equal(sorted(lb["LoadBalancerName"] for lb in all_lbs), ["bb-dev-alb", "bb-prod-alb"], "ALB names")
        c.equal(
            sorted(tg["TargetGroupName"] for tg in all_tgs),
            ["bb-dev-api", "bb-prod-api"],
            "target group names",
        )
        for env, spec in EXPECTED_ENVS.items():
            lbs = [lb for lb in all_lbs if lb["LoadBalancerName"] == f"bb-{env}-alb"]
            tgs = [tg for tg in all_tgs if tg["TargetGroupName"] == f"bb-{env}-api"]
            if not (
                c.expect(len(lbs) == 1, f"bb-{env}-alb: found {len(lbs)}")
                and c.expect(len(tgs) == 1, f"bb-{env}-api: found {len(tgs)}")
            ):
                continue
            lb, tg = lbs[0], tgs[0]
            self.tg_arns[env] = tg["TargetGroupArn"]
            c.equal(lb["Type"], "application", f"bb-{env}-alb type")
            c.equal(lb["VpcId"], self.vpc_id, f"bb-{env}-alb VPC")
            azs = [az["SubnetId"] for az in lb["AvailabilityZones"]]
            c.expect(
                len(azs) >= 2 and set(azs) <= self.vpc_subnets,
                f"bb-{env}-alb subnets {azs} not >= 2 subnets of the default VPC",
            )
            c.equal(tg["HealthCheckPath"], "/health/", f"bb-{env}-api health check path")
            c.equal(tg["TargetType"], "ip", f"bb-{env}-api target type")
            c.equal(tg["Port"], 8000, f"bb-{env}-api port")
            c.equal(tg["VpcId"], self.vpc_id, f"bb-{env}-api VPC")
            c.expect(
                lb["LoadBalancerArn"] in tg.get("LoadBalancerArns", []),
                f"bb-{env}-api is not attached to bb-{env}-alb",
            )
            listeners = c.record(
                f"elbv2.listeners.{env}", elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])
            )["Listeners"]
            forwards = [
                (ls["Port"], a.get("Type"), a.get("TargetGroupArn"))
                for ls in listeners
                for a in ls["DefaultActions"]
            ]
            c.equal(forwards, [(80, "forward", tg["TargetGroupArn"])], f"bb-{env}-alb listeners")
            health = c.record(
                f"elbv2.target_health.{env}", elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])
            )["TargetHealthDescriptions"]
            c.equal(len(health), spec["desired"], f"bb-{env}-api registered targets")
            c.expect(
                all(h["TargetHealth"]["State"] == "healthy" for h in health),
                f"bb-{env}-api targets not all healthy: {health}",
            )

    # ---- ECS ----------------------------------------------------------------------
    def ecs(self) -> None:
        c, ecs = self.c, self.client("ecs")
        clusters = c.record(
            "ecs.clusters", ecs.describe_clusters(clusters=[f"{APP}-{e}" for e in EXPECTED_ENVS])
        )["clusters"]
        c.equal(
            sorted((cl["clusterName"], cl["status"]) for cl in clusters),
            [(f"{APP}-dev", "ACTIVE"), (f"{APP}-prod", "ACTIVE")],
            "ECS clusters",
        )
        for env, spec in EXPECTED_ENVS.items():
            cluster = f"{APP}-{env}"
            arns = ecs.list_services(cluster=cluster)["serviceArns"]
            c.equal([a.rsplit("/", 1)[-1] for a in arns], [SERVICE], f"{cluster} services")
            found = c.record(
                f"ecs.services.{env}", ecs.describe_services(cluster=cluster, services=[SERVICE])
            )["services"]
            if not c.expect(len(found) == 1, f"{cluster}/{SERVICE} missing"):
                continue
            svc = found[0]
            c.equal(svc["status"], "ACTIVE", f"{cluster}/{SERVICE} status")
            c.equal(svc["desiredCount"], spec["desired"], f"{cluster}/{SERVICE} desiredCount")
            c.equal(svc.get("launchType"), "FARGATE", f"{cluster}/{SERVICE} launchType")
            c.expect(
                str(svc.get("taskDefinition", "")).endswith(":task-definition/backend-booking:2"),
                f"{cluster}/{SERVICE} runs {svc.get('taskDefinition')!r}, expected backend-booking:2 (ARN)",
            )
            c.equal(
                svc.get("loadBalancers"),
                [{"targetGroupArn": self.tg_arns.get(env), "containerName": "django", "containerPort": 8000}],
                f"{cluster}/{SERVICE} loadBalancers",
            )
            breaker = svc.get("deploymentConfiguration", {}).get("deploymentCircuitBreaker", {})
            c.equal(breaker, {"enable": True, "rollback": True}, f"{cluster}/{SERVICE} circuit breaker")
            vpc_cfg = svc.get("networkConfiguration", {}).get("awsvpcConfiguration", {})
            c.expect(
                bool(vpc_cfg.get("subnets")) and set(vpc_cfg["subnets"]) <= self.vpc_subnets,
                f"{cluster}/{SERVICE} subnets {vpc_cfg.get('subnets')} not in the default VPC",
            )

        revisions = ecs.list_task_definitions(familyPrefix=APP, sort="ASC")["taskDefinitionArns"]
        c.equal(
            [a.rsplit("/", 1)[-1] for a in revisions], [f"{APP}:1", f"{APP}:2"], "task definition revisions"
        )
        images: list[str] = []
        for arn in revisions:
            td = c.record(
                f"ecs.task_definition.{arn.rsplit(':', 1)[-1]}",
                ecs.describe_task_definition(taskDefinition=arn),
            )["taskDefinition"]
            name = f"{APP}:{td['revision']}"
            c.equal(td.get("requiresCompatibilities"), ["FARGATE"], f"{name} compatibilities")
            c.equal(td.get("networkMode"), "awsvpc", f"{name} networkMode")
            containers = {cd["name"]: cd for cd in td["containerDefinitions"]}
            if not c.equal(sorted(containers), ["django", "pgbouncer"], f"{name} containers"):
                continue
            django, pgb = containers["django"], containers["pgbouncer"]
            images.append(django["image"])
            c.expect(
                django["image"].startswith(ECR) and len(django["image"]) > len(ECR),
                f"{name} django image {django['image']!r} not in {ECR}<tag>",
            )
            c.equal(
                [p["containerPort"] for p in django.get("portMappings", [])], [8000], f"{name} django ports"
            )
            c.equal(
                [p["containerPort"] for p in pgb.get("portMappings", [])], [6432], f"{name} pgbouncer ports"
            )
            secrets = {s["name"]: s["valueFrom"] for s in django.get("secrets", [])}
            for key in ("DATABASE_URL", "DJANGO_SECRET_KEY"):
                ref = secrets.get(key, "")
                prefix = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/{APP}/"
                if c.expect(ref.startswith(prefix), f"{name} django secret {key} = {ref!r}, not an SSM ARN"):
                    self._parameter_exists(ref.split(":parameter", 1)[1], f"{name} secret {key}")
        c.expect(
            len(set(images)) == len(images) == 2, f"the two revisions should differ in django image: {images}"
        )

    def _parameter_exists(self, name: str, what: str) -> None:
        try:
            self.client("ssm").get_parameter(Name=name)
            self.c.expect(True, "")
        except ClientError as exc:
            self.c.expect(False, f"{what} references {name}: {exc.response['Error'].get('Code')}")

    # ---- RDS ----------------------------------------------------------------------
    def rds(self) -> None:
        c = self.c
        dbs = c.record("rds.instances", self.client("rds").describe_db_instances())["DBInstances"]
        by_id = {d["DBInstanceIdentifier"]: d for d in dbs}
        c.equal(sorted(by_id), [f"{APP}-dev", f"{APP}-prod"], "RDS instances")
        for env, spec in EXPECTED_ENVS.items():
            db = by_id.get(f"{APP}-{env}")
            if db is None:
                continue
            c.equal(db["Engine"], "postgres", f"{APP}-{env} engine")
            c.equal(db["DBInstanceClass"], spec["db_class"], f"{APP}-{env} class")
            c.equal(db["MultiAZ"], spec["multi_az"], f"{APP}-{env} MultiAZ")
            c.equal(db["DBInstanceStatus"], "available", f"{APP}-{env} status")

    # ---- SSM ----------------------------------------------------------------------
    def ssm(self) -> None:
        c, ssm = self.c, self.client("ssm")
        for env in EXPECTED_ENVS:
            path = f"/{APP}/{env}/"
            plain: list[dict[str, Any]] = []
            raw: list[dict[str, Any]] = []
            for decrypt, into in ((True, plain), (False, raw)):
                for page in ssm.get_paginator("get_parameters_by_path").paginate(
                    Path=path, Recursive=True, WithDecryption=decrypt
                ):
                    into.extend(page["Parameters"])
            c.record(f"ssm.{env}", plain)
            types = {p["Name"].removeprefix(path): p["Type"] for p in plain}
            c.equal(types, SSM_TYPES, f"SSM parameters under {path}")
            values = {p["Name"].removeprefix(path): p["Value"] for p in plain}
            hidden = {p["Name"].removeprefix(path): p["Value"] for p in raw}
            debug = values.get("DJANGO_DEBUG")
            if env == "prod":
                c.equal(debug, "false", f"{path}DJANGO_DEBUG")
            else:
                c.expect(debug in ("true", "false"), f"{path}DJANGO_DEBUG = {debug!r}")
            c.expect(
                str(values.get("PGBOUNCER_POOL_SIZE", "")).isdigit(),
                f"{path}PGBOUNCER_POOL_SIZE not a number",
            )
            c.expect(bool(values.get("DJANGO_ALLOWED_HOSTS")), f"{path}DJANGO_ALLOWED_HOSTS empty")
            for key in ("DATABASE_URL", "DJANGO_SECRET_KEY"):
                value = str(values.get(key, ""))
                c.expect("FAKE" in value, f"{path}{key} does not look obviously fake: {value!r}")
                c.expect(hidden.get(key) != value, f"{path}{key} is returned in clear without decryption")
            c.expect(
                str(values.get("DATABASE_URL", "")).startswith("postgres://"), f"{path}DATABASE_URL scheme"
            )

    # ---- CloudWatch ---------------------------------------------------------------
    def alarms(self) -> None:
        c = self.c
        alarms = c.record("cloudwatch.alarms", self.client("cloudwatch").describe_alarms())["MetricAlarms"]
        states = {a["AlarmName"]: a["StateValue"] for a in alarms}
        expected = {f"bb-{e}-api-{k}": "OK" for e in EXPECTED_ENVS for k in ("5xx", "cpu-high")}
        if self.scenario == "degraded":
            expected["bb-prod-api-cpu-high"] = "ALARM"
        c.equal(states, expected, f"alarm states (scenario {self.scenario})")
        for a in alarms:
            dims = {d["Name"] for d in a.get("Dimensions", [])}
            if a["AlarmName"].endswith("-5xx"):
                c.equal(
                    (a["Namespace"], dims),
                    ("AWS/ApplicationELB", {"LoadBalancer"}),
                    f"{a['AlarmName']} metric",
                )
            else:
                c.equal(
                    (a["Namespace"], a["MetricName"], dims),
                    ("AWS/ECS", "CPUUtilization", {"ClusterName", "ServiceName"}),
                    f"{a['AlarmName']} metric",
                )

    # ---- Cost Explorer ------------------------------------------------------------
    def costs(self) -> None:
        c = self.c
        ssm = self.client("ssm", demo_aws.VERIFY_ACCOUNT_ID)
        try:
            marker = json.loads(ssm.get_parameter(Name=demo_aws.CE_MARKER)["Parameter"]["Value"])
        except ClientError:
            c.expect(False, "Cost Explorer: no seed marker (demo_aws.py has not preloaded costs)")
            return
        c.record("ce.marker", marker)
        end = dt.date.fromisoformat(marker["end_date"])
        print(f"  (Cost Explorer data ends {end}; reading account {self.ce_account_id})")
        expected = demo_aws.build_cost_data(end)
        c.equal(marker.get("digest"), expected["digest"], "Cost Explorer marker digest vs generator")
        c.equal(marker.get("results"), 2, "Cost Explorer queued result count")
        if self.costs_file:
            written = json.loads(Path(self.costs_file).read_text(encoding="utf-8"))
            c.equal(written.get("digest"), expected["digest"], f"{self.costs_file} digest")
            c.expect(written.get("results") == expected["results"], f"{self.costs_file} results differ")
            c.equal(written.get("requests"), expected["requests"], f"{self.costs_file} requests")

        ce = self.client("ce", None if self.ce_account == "app" else demo_aws.VERIFY_ACCOUNT_ID)
        answers: list[dict[str, Any]] = []
        for request in expected["requests"]:  # the documented order: DAILY, MONTHLY
            answer = {
                k: v for k, v in ce.get_cost_and_usage(**request["params"]).items() if k != "ResponseMetadata"
            }
            answers.append(answer)
            c.record(f"ce.answer.{request['granularity']}", answer)
        for i, (answer, want) in enumerate(zip(answers, expected["results"], strict=True), start=1):
            periods = len(answer.get("ResultsByTime", []))
            why = (
                " - empty: another client took the queued results first (or they were never queued)"
                if periods == 0
                else ""
            )
            c.expect(
                answer == want,
                f"GetCostAndUsage #{i} ({expected['requests'][i - 1]['granularity']}) does not answer "
                f"queued result #{i} ({periods} periods){why}",
            )
        again = ce.get_cost_and_usage(**expected["requests"][0]["params"])
        c.expect(
            again.get("ResultsByTime") == expected["results"][0]["ResultsByTime"],
            "repeating request #1 does not give result #1 again",
        )
        extra = dict(expected["requests"][0]["params"], Metrics=["BlendedCost"])
        c.equal(
            ce.get_cost_and_usage(**extra).get("ResultsByTime"),
            [],
            "a third distinct request should find the queue empty (queued more than twice?)",
        )
        if len(answers) == 2 and answers[0].get("ResultsByTime") and answers[1].get("ResultsByTime"):
            self._cost_shape(answers[0], answers[1], end)

    def _cost_shape(self, daily: dict[str, Any], monthly: dict[str, Any], end: dt.date) -> None:
        """Checks that do not rely on the generator."""
        c = self.c
        w0 = demo_aws.add_months(end, -12)
        w1 = end + dt.timedelta(days=1)
        periods = [(r["TimePeriod"]["Start"], r["TimePeriod"]["End"]) for r in daily["ResultsByTime"]]
        want_days = [(d.isoformat(), (d + dt.timedelta(days=1)).isoformat()) for d in demo_aws.days(w0, w1)]
        c.expect(
            periods == want_days,
            f"DAILY periods are not every day {w0}..{end} "
            f"({len(periods)} periods, {len(want_days)} expected)",
        )
        c.equal(len(monthly["ResultsByTime"]), 13, "MONTHLY periods")

        def per_env(entry: dict[str, Any]) -> dict[str, dict[str, Decimal]]:
            out: dict[str, dict[str, Decimal]] = {}
            for g in entry["Groups"]:
                service, tag = g["Keys"]
                env = tag.split("$", 1)[1]
                out.setdefault(env, {})[service] = Decimal(g["Metrics"]["UnblendedCost"]["Amount"])
            return out

        for env, spec in EXPECTED_ENVS.items():
            first = per_env(daily["ResultsByTime"][0]).get(env, {})
            c.equal(list(first), spec["services"], f"Cost Explorer {env} services")
        daily_sum: dict[tuple[str, str, str], Decimal] = {}
        env_days: dict[str, dict[str, Decimal]] = {env: {} for env in EXPECTED_ENVS}
        for r in daily["ResultsByTime"]:
            day = r["TimePeriod"]["Start"]
            for env, services in per_env(r).items():
                env_days.setdefault(env, {})[day] = sum(services.values(), Decimal(0))
                for service, amount in services.items():
                    key = (day[:7], env, service)
                    daily_sum[key] = daily_sum.get(key, Decimal(0)) + amount
        mismatched = 0
        for r in monthly["ResultsByTime"]:
            month = r["TimePeriod"]["Start"][:7]
            start = dt.date.fromisoformat(r["TimePeriod"]["Start"])
            stop = dt.date.fromisoformat(r["TimePeriod"]["End"])
            for env, services in per_env(r).items():
                for service, amount in services.items():
                    if daily_sum.get((month, env, service)) != amount:
                        mismatched += 1
                total = sum(services.values(), Decimal(0))
                lo, hi = EXPECTED_ENVS[env]["range"]
                full_days = (demo_aws.add_months(start, 1) - start).days
                elapsed = (stop - start).days
                rate = total * full_days / elapsed  # run rate for the partial month
                c.expect(
                    lo <= rate <= hi,
                    f"{env} {month}: ${rate:.2f}/month "
                    f"{'(run rate) ' if elapsed < full_days else ''}outside {lo}-{hi}",
                )
        c.equal(mismatched, 0, "MONTHLY amounts that are not the sum of their DAILY amounts")

        # Anomalies: each day against its month's median (per environment).
        spikes: list[tuple[str, str, float]] = []
        for env, series in env_days.items():
            by_month: dict[str, list[Decimal]] = {}
            for day, total in series.items():
                by_month.setdefault(day[:7], []).append(total)
            for day, total in series.items():
                ratio = float(total / statistics.median(by_month[day[:7]]))
                if ratio > 1.5:
                    spikes.append((env, day, ratio))
        want_day = demo_aws.add_months(end, -1).replace(day=15).isoformat()
        ok = len(spikes) == 1 and spikes[0][:2] == ("prod", want_day) and 2.7 <= spikes[0][2] <= 3.3
        c.expect(ok, f"expected one anomaly (prod {want_day}, about 3x), found {spikes}")

    # ---- all --------------------------------------------------------------------
    def run(self) -> Check:
        print(f"checking {self.endpoint}")
        for name, body in (
            ("default VPC", self.network),
            ("ELBv2", self.elbv2),
            ("ECS", self.ecs),
            ("RDS", self.rds),
            ("SSM", self.ssm),
            ("CloudWatch alarms", self.alarms),
            ("Cost Explorer", self.costs),
        ):
            self.c.section(name, body)
        return self.c


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--endpoint", default=demo_aws.DEFAULT_ENDPOINT)
    parser.add_argument(
        "--scenario",
        choices=("normal", "degraded"),
        default="normal",
        help="the scenario the seed was run with (alarm states)",
    )
    parser.add_argument("--costs-file", metavar="FILE", help="compare with demo_aws.py --costs-out FILE")
    parser.add_argument("--dump-state", metavar="FILE", help="write what was read as JSON")
    parser.add_argument(
        "--ce-account",
        choices=("verify", "app"),
        default="verify",
        help="read Cost Explorer in the verification account (default) or the app's",
    )
    args = parser.parse_args(argv)
    try:
        endpoint = demo_aws.check_loopback(args.endpoint)
        demo_aws.wait_for_moto(endpoint, 5.0)
        check = Verifier(endpoint, args.scenario, args.ce_account, args.costs_file).run()
    except demo_aws.SeedError as exc:
        print(f"demo_aws_check: {exc}", file=sys.stderr)
        return 2
    except (BotoCoreError, urllib.error.URLError, OSError) as exc:
        print(f"demo_aws_check: cannot talk to moto: {exc}", file=sys.stderr)
        return 2
    if args.dump_state:
        Path(args.dump_state).write_text(
            json.dumps(check.state, indent=1, sort_keys=True, default=str) + "\n", encoding="utf-8"
        )
    if check.failures:
        print(f"FAILED: {len(check.failures)} mismatch(es), {check.passed} check(s) passed", file=sys.stderr)
        for failure in check.failures:
            print(f"  - {failure}", file=sys.stderr)
        return 1
    print(f"OK: {check.passed} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
