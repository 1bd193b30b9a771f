#!/usr/bin/python3
# Copyright 2026 The nbci authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Read and run the CI pipelines of data/ci for tests/ci-lint-test.sh.

Usage:
  ci-lint-pipelines.py commands FILE   print FILE's nbci command lines
  ci-lint-pipelines.py structure FILE  check the keys its CI system needs
  ci-lint-pipelines.py run FILE        run the pipeline's jobs on loopback

`run` plays the pipeline on this machine, with one fresh copy of a small
repository per job. The shard jobs get the shard variables that the CI
sets (or GitHub's matrix value). Their artifacts reach the final job as
the CI carries them, and only the final job gets the notifiers' secret.
The secret is a Slack webhook on 127.0.0.1 (tests/webhook-server.py), so
`nbci notify` really sends. The CI's own commands (Semaphore's checkout,
artifact and test-results, GitHub's actions) cannot run here: small
stand-ins copy files the way their documentation describes. It needs
NBCI_PROGRAM and NBCI_PLUGIN_PATH, and prints the problems found, one
per line, exiting 1 when there are any.
"""

import concurrent.futures
import fnmatch
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree

SCRIPT_KEYS = ("commands", "script", "before_script", "after_script", "run")
NBCI_LINE = re.compile(r"(?:^|[^\w./-])(nbci [a-z]+[^;&|#\n]*)")
SECRET_NAMES = ("EMAIL_SENDER_PASSWORD", "SLACK_WEBHOOK_URL", "SLACK_BOT_TOKEN",
                "DRIVE_CREDENTIALS", "DRIVE_SERVICE_ACCOUNT_KEY")
# Jobs waiting longer than this on one command count as hung.
COMMAND_TIMEOUT_SECONDS = 120

NOTEBOOKS = {
    "notebooks/alpha.ipynb": "print('alpha')",
    "notebooks/broken.ipynb": "1 / 0",
    "notebooks/gamma.ipynb": "print('gamma')",
}
CONFIGURATION = """\
output_dir: executed
notification:
  slack: 1
  max_tries: 1
"""


def load(path):
    # PyYAML comes with yamllint, so the Dockerfiles' checks run without it.
    import yaml

    with open(path, encoding="utf-8") as stream:
        return yaml.safe_load(stream)


def script_strings(node, key=None):
    """Yield the shell text under the keys that contain commands."""
    if isinstance(node, dict):
        for name, value in node.items():
            yield from script_strings(value, name)
    elif isinstance(node, list):
        for value in node:
            yield from script_strings(value, key)
    elif isinstance(node, str) and key in SCRIPT_KEYS:
        yield node


def nbci_lines(text):
    """Return the nbci command lines of shell TEXT, comments left out."""
    lines = []
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        for match in NBCI_LINE.finditer(line):
            lines.append(match.group(1).rstrip(" \\"))
    return lines


def command_lines(path):
    if path.endswith(".yml"):
        return [line for text in script_strings(load(path)) for line in nbci_lines(text)]
    # A Dockerfile continues a line with a backslash.
    with open(path, encoding="utf-8") as stream:
        text = re.sub(r"\\\n", " ", stream.read())
    return nbci_lines("\n".join(line for line in text.splitlines()
                                if not line.lstrip().startswith("#")))


def joined(commands):
    return "\n".join(commands if isinstance(commands, list) else [commands])


def words_of(line, command):
    """Return the words of the first `nbci COMMAND` line in LINE, or None."""
    for found in nbci_lines(line):
        if found.startswith(f"nbci {command}"):
            return found.split()
    return None


def option_value(words, option):
    for i, word in enumerate(words):
        if word == option and i + 1 < len(words):
            return words[i + 1].strip("\"'")
        if word.startswith(option + "="):
            return word[len(option) + 1:].strip("\"'")
    return None


class Problems(list):
    def need(self, condition, message):
        if not condition:
            self.append(message)
        return condition


def check_shard_run(problems, text, index_variable):
    """Check the shard job's `nbci run` line in the shell TEXT."""
    words = words_of(text, "run")
    if not problems.need(words, "the shard job runs no `nbci run`"):
        return
    problems.need("--no-notify" in words, "the shard's nbci run needs --no-notify")
    for option in ("--junit", "--report"):
        value = option_value(words, option)
        if problems.need(value, f"the shard's nbci run needs {option}"):
            problems.need(index_variable in value,
                          f"{option} {value} must name the shard ({index_variable}), "
                          "or the shards' files overwrite each other")


def check_final_job(problems, text):
    """Check that the final job merges before it notifies."""
    lines = nbci_lines(text)
    merges = [i for i, line in enumerate(lines) if line.startswith("nbci merge")]
    notifies = [i for i, line in enumerate(lines) if line.startswith("nbci notify")]
    problems.need(notifies, "the final job runs no `nbci notify`")
    problems.need(any("--junit" in lines[i] for i in merges),
                  "the final job merges no JUnit files (nbci merge --junit)")
    problems.need(any("--junit" not in lines[i] for i in merges),
                  "the final job merges no JSON reports (nbci merge --output)")
    problems.need(merges and notifies and max(merges) < min(notifies),
                  "nbci merge must run before nbci notify")


def check_no_secrets(problems, node, where):
    text = json.dumps(node)
    for name in SECRET_NAMES:
        problems.need(f"secrets.{name}" not in text, f"{where} gets the secret {name}")
    problems.need("secrets" not in (node if isinstance(node, dict) else {}),
                  f"{where} gets secrets")


def structure_semaphore(doc, problems):
    problems.need(doc.get("version") == "v1.0", "version must be v1.0")
    containers = doc["agent"]["containers"]
    problems.need(containers[0].get("name") and containers[0].get("image"),
                  "the first container needs a name and an image")
    problems.need("secrets" not in doc.get("global_job_config", {}),
                  "global_job_config gives every job the secrets")

    shard_jobs = 0
    for block in doc["blocks"]:
        task = block["task"]
        check_no_secrets(problems, task, f"block {block['name']}")
        epilogue = joined(task["epilogue"]["always"]["commands"])
        for job in task["jobs"]:
            problems.need(job.get("name") and job.get("commands"),
                          "every job needs a name and commands")
            if "parallelism" not in job:
                continue
            shard_jobs += 1
            problems.need(isinstance(job["parallelism"], int) and job["parallelism"] >= 2,
                          "parallelism must be a number of at least 2")
            problems.need("matrix" not in job, "Semaphore rejects parallelism with matrix")
            check_shard_run(problems, joined(job["commands"]), "$SEMAPHORE_JOB_INDEX")
        problems.need("test-results publish" in epilogue,
                      f"block {block['name']} publishes no test results")
        problems.need("artifact push workflow" in epilogue,
                      f"block {block['name']} pushes no report")
    problems.need(shard_jobs == 1, "one job needs parallelism: N")

    after = doc["after_pipeline"]["task"]
    commands = joined(after["jobs"][0]["commands"])
    problems.need(after["secrets"][0]["name"] == "nbci-notifiers",
                  "after_pipeline gets the secret nbci-notifiers")
    problems.need("test-results gen-pipeline-report" in commands,
                  "after_pipeline makes no pipeline test report")
    check_final_job(problems, commands)


def structure_github(doc, problems):
    # YAML 1.1, which PyYAML reads, makes the key "on" the boolean true.
    problems.need("on" in doc or True in doc, "a workflow needs on:")
    jobs = doc["jobs"]
    for name, job in jobs.items():
        problems.need(job.get("runs-on") and job.get("steps"),
                      f"job {name} needs runs-on and steps")
        for step in job.get("steps", []):
            action = step.get("uses", "")
            problems.need(not action or action.startswith("actions/"),
                          f"job {name} uses the third-party action {action}")
        if name != "notify":
            check_no_secrets(problems, job, f"job {name}")

    notebooks = jobs["notebooks"]
    strategy = notebooks.get("strategy", {})
    shards = strategy.get("matrix", {}).get("shard")
    problems.need(strategy.get("fail-fast") is False,
                  "the matrix needs fail-fast: false, or one failing shard cancels the others")
    if problems.need(isinstance(shards, list) and len(shards) >= 2,
                     "the notebooks job needs a matrix shard: [1, ..., N]"):
        problems.need(shards == list(range(1, len(shards) + 1)),
                      f"the matrix shards {shards} must be 1 to N")
        text = joined([step.get("run", "") for step in notebooks["steps"]])
        # The expression loses its spaces, so that it stays one word.
        check_shard_run(problems, text.replace("${{ matrix.shard }}", "${{matrix.shard}}"),
                        "${{matrix.shard}}")
        expected = "--shard ${{ matrix.shard }}/%d" % len(shards)
        problems.need(expected in text, f"nbci run needs {expected} for {len(shards)} shards")

    notify = jobs["notify"]
    problems.need(notify.get("if") == "always()", "notify must run after a failed run")
    problems.need(notify.get("needs") == "notebooks", "notify must wait for the notebooks")
    check_final_job(problems, joined([step.get("run", "") for step in notify["steps"]]))


def structure_gitlab(doc, problems):
    stages = doc["stages"]
    for name, job in doc.items():
        if name == "stages":
            continue
        problems.need(job.get("script"), f"job {name} needs a script")
        problems.need(job.get("stage") in stages, f"job {name} has an unknown stage")
    notebooks = doc["notebooks"]
    problems.need(isinstance(notebooks.get("parallel"), int) and notebooks["parallel"] >= 2,
                  "the notebooks job needs parallel: N")
    problems.need("environment" not in notebooks,
                  "the notebooks job must not name the notifications environment")
    artifacts = notebooks.get("artifacts", {})
    problems.need(artifacts.get("when") == "always", "the report must be kept on failure")
    problems.need(artifacts.get("reports", {}).get("junit"),
                  "the notebooks job needs artifacts:reports:junit")
    check_shard_run(problems, joined(notebooks["script"]), "$CI_NODE_INDEX")
    notify = doc["notify"]
    problems.need(notify.get("when") == "always", "notify must run after a failed run")
    problems.need(notify.get("environment", {}).get("name") == "notifications",
                  "notify must name the environment that scopes the secrets")
    problems.need("reports" not in notify.get("artifacts", {}),
                  "a merged JUnit report would count every test twice")
    check_final_job(problems, joined(notify["script"]))


def structure(path):
    doc = load(path)
    problems = Problems()
    if path.endswith("semaphore.yml"):
        structure_semaphore(doc, problems)
    elif path.endswith("github-actions.yml"):
        structure_github(doc, problems)
    elif path.endswith("gitlab-ci.yml"):
        structure_gitlab(doc, problems)
    else:
        problems.append(f"no structure check for {path}")
    return problems


class Job:
    """One job of the played pipeline: its folder, environment and log."""

    def __init__(self, runner, name, env=None):
        self.runner = runner
        self.name = name
        self.dir = os.path.join(runner.tmp, "jobs", re.sub(r"\W", "-", name))
        shutil.copytree(runner.repository, self.dir)
        self.env = dict(runner.base_env)
        self.env.update(env or {})
        self.failed = False

    def sh(self, command, shell="bash"):
        """Run COMMAND in the job's folder and return True when it exits 0."""
        try:
            result = subprocess.run([shell, "-e", "-c", command], cwd=self.dir, env=self.env,
                                    stdin=subprocess.DEVNULL, capture_output=True,
                                    text=True, timeout=COMMAND_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.runner.problems.append(f"{self.name}: timed out: {command}")
            return False
        self.runner.log.append(f"{self.name}$ {command}\n{result.stdout}{result.stderr}"
                               f"[exit {result.returncode}]")
        return result.returncode == 0

    def run_commands(self, commands):
        """Run COMMANDS in order until one fails, as the CIs' jobs do."""
        for command in commands:
            if not self.sh(command):
                self.failed = True
                return False
        return True

    def copy_out(self, patterns, target):
        """Copy the files matching PATTERNS, with their paths, below TARGET."""
        for pattern in patterns:
            for path in glob.glob(os.path.join(self.dir, pattern.rstrip("/"))):
                relative = os.path.relpath(path, self.dir)
                destination = os.path.join(target, relative)
                if os.path.isdir(path):
                    shutil.copytree(path, destination, dirs_exist_ok=True)
                else:
                    os.makedirs(os.path.dirname(destination), exist_ok=True)
                    shutil.copy2(path, destination)


SEMAPHORE_TOOLS = {
    # Semaphore's toolbox: the job folder is the checkout already.
    "checkout": "exit 0\n",
    # artifact push|pull workflow PATH [--destination PATH] [--force], on a
    # folder that is the workflow's artifact store.
    "artifact": """\
set -e
action=$1 level=$2 source=$3
shift 3
destination=
while [ $# -gt 0 ]; do
  case $1 in
  -d|--destination) destination=$2; shift 2 ;;
  -f|--force) shift ;;
  *) echo "artifact: unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$level" = workflow ] || { echo "artifact: only workflow is played" >&2; exit 2; }
if [ "$action" = push ]; then
  target="$NBCI_CI_STORE/${destination:-$(basename "$source")}"
  mkdir -p "$(dirname "$target")"
  rm -rf "$target"
  cp -R "$source" "$target"
else
  [ -e "$NBCI_CI_STORE/$source" ] || { echo "artifact: $source not found" >&2; exit 1; }
  cp -R "$NBCI_CI_STORE/$source" "${destination:-$(basename "$source")}"
fi
""",
    # test-results publish FILE checks that FILE is XML and keeps it, and
    # gen-pipeline-report does nothing here.
    "test-results": """\
set -e
case $1 in
publish)
  /usr/bin/python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$2"
  mkdir -p "$NBCI_CI_STORE/.test-results"
  cp "$2" "$NBCI_CI_STORE/.test-results/" ;;
gen-pipeline-report) ;;
*) echo "test-results: unknown command $1" >&2; exit 2 ;;
esac
""",
}


class Runner:
    """Plays one pipeline file on a small repository and checks the result."""

    def __init__(self, path, tmp):
        self.path = path
        self.tmp = tmp
        self.problems = Problems()
        self.log = []
        self.store = os.path.join(tmp, "store")
        self.repository = os.path.join(tmp, "repository")
        self.shard_dirs = []
        os.makedirs(self.store)
        self.make_repository()
        self.make_tools()

    def make_repository(self):
        for name, code in NOTEBOOKS.items():
            path = os.path.join(self.repository, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            notebook = {
                "cells": [{"cell_type": "code", "execution_count": None, "id": "cell-1",
                           "metadata": {}, "outputs": [], "source": code}],
                "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                            "language": "python"}},
                "nbformat": 4,
                "nbformat_minor": 5,
            }
            with open(path, "w", encoding="utf-8") as stream:
                json.dump(notebook, stream)
        with open(os.path.join(self.repository, "configuration.yml"), "w",
                  encoding="utf-8") as stream:
            stream.write(CONFIGURATION)

    def make_tools(self):
        bin_dir = os.path.join(self.tmp, "bin")
        os.makedirs(bin_dir)
        os.symlink(os.environ["NBCI_PROGRAM"], os.path.join(bin_dir, "nbci"))
        if self.path.endswith("semaphore.yml"):
            for name, text in SEMAPHORE_TOOLS.items():
                tool = os.path.join(bin_dir, name)
                with open(tool, "w", encoding="utf-8") as stream:
                    stream.write("#!/bin/bash\n" + text)
                os.chmod(tool, 0o755)
        # The jobs get no secret and no CI variable from this machine.
        self.base_env = {name: value for name, value in os.environ.items()
                         if name not in SECRET_NAMES and not name.startswith(
                             ("SEMAPHORE_", "CI_", "GITHUB_", "CIRCLE_", "BUILDKITE"))}
        self.base_env.update(PATH=bin_dir + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
                             NBCI_CI_STORE=self.store, LANG="C.UTF-8")

    def run_shards(self, count, play_shard):
        """Run the shard jobs at once, as the CI does, and keep their folders."""
        with concurrent.futures.ThreadPoolExecutor(max_workers=count) as pool:
            jobs = list(pool.map(play_shard, range(1, count + 1)))
        self.shard_dirs = [job.dir for job in jobs]
        failed = [job.name for job in jobs if job.failed]
        # Exactly the shard that got the broken notebook fails.
        self.problems.need(len(failed) == 1,
                           f"expected one failed shard job (the broken notebook), got {failed}")
        return jobs

    def play_semaphore(self, doc):
        block = doc["blocks"][0]
        task = block["task"]
        job_spec = next(job for job in task["jobs"] if "parallelism" in job)
        count = job_spec["parallelism"]

        def play_shard(index):
            job = Job(self, f"{job_spec['name']} - {index}/{count}",
                      {"SEMAPHORE_JOB_INDEX": str(index), "SEMAPHORE_JOB_COUNT": str(count)})
            if job.run_commands(task["prologue"]["commands"]):
                job.run_commands(job_spec["commands"])
            # The epilogue runs whatever the commands did, and never fails the job.
            for command in task["epilogue"]["always"]["commands"]:
                if not job.sh(command):
                    self.problems.append(f"{job.name}: the epilogue command failed: {command}")
            return job

        self.run_shards(count, play_shard)
        after = doc["after_pipeline"]["task"]
        final = Job(self, "after_pipeline", self.secrets)
        self.problems.need(final.run_commands(after["jobs"][0]["commands"]),
                           "the after_pipeline job failed")
        return final

    def play_gitlab(self, doc):
        spec = doc["notebooks"]
        count = spec["parallel"]

        def play_shard(index):
            job = Job(self, f"notebooks {index}/{count}",
                      {"CI_NODE_INDEX": str(index), "CI_NODE_TOTAL": str(count)})
            job.run_commands(spec["script"])
            artifacts = spec["artifacts"]
            job.copy_out(artifacts["paths"], os.path.join(self.store, job.name))
            return job

        jobs = self.run_shards(count, play_shard)
        # GitLab hands the needed jobs' artifacts:paths to the notify job;
        # reports:junit alone would not reach it.
        final = Job(self, "notify", self.secrets)
        for job in jobs:
            shutil.copytree(os.path.join(self.store, job.name), final.dir, dirs_exist_ok=True)
        self.problems.need(final.run_commands(doc["notify"]["script"]), "the notify job failed")
        return final

    def play_github_steps(self, job, steps, substitutions):
        """Run STEPS as a GitHub job does: after a failure only if: always()."""
        for step in steps:
            if job.failed and step.get("if") != "always()":
                continue
            values = dict(substitutions)
            for name, value in step.get("env", {}).items():
                job.env[name] = self.substitute(str(value), values)
            action = step.get("uses", "")
            inputs = {name: self.substitute(str(value), values)
                      for name, value in step.get("with", {}).items()}
            if "run" in step:
                # A container job's default shell is sh.
                if not job.sh(self.substitute(step["run"], values), step.get("shell", "sh")):
                    job.failed = True
            elif action.startswith("actions/checkout@"):
                continue
            elif action.startswith("actions/upload-artifact@"):
                job.copy_out(inputs["path"].split(), os.path.join(self.store, inputs["name"]))
            elif action.startswith("actions/download-artifact@"):
                self.problems.need(inputs.get("merge-multiple") == "True",
                                   "download-artifact needs merge-multiple: true")
                for folder in sorted(os.listdir(self.store)):
                    if fnmatch.fnmatchcase(folder, inputs.get("pattern", "*")):
                        shutil.copytree(os.path.join(self.store, folder), job.dir,
                                        dirs_exist_ok=True)
            else:
                self.problems.append(f"{job.name}: cannot play the action {action}")

    def substitute(self, text, values):
        def replace(match):
            name = match.group(1).strip()
            if name not in values:
                self.problems.append(f"cannot play the expression ${{{{ {name} }}}}")
                return ""
            return values[name]
        return re.sub(r"\$\{\{([^}]*)\}\}", replace, text)

    def github_env(self, name):
        summary = os.path.join(self.tmp, f"summary-{name}.md")
        open(summary, "w").close()
        return {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary,
                "RUNNER_TEMP": self.tmp}

    def play_github(self, doc):
        spec = doc["jobs"]["notebooks"]
        shards = spec["strategy"]["matrix"]["shard"]
        secrets = {f"secrets.{name}": "" for name in SECRET_NAMES}

        def play_shard(index):
            job = Job(self, f"notebooks ({index})", self.github_env(f"shard-{index}"))
            job.env["GITHUB_WORKSPACE"] = job.dir
            self.play_github_steps(job, spec["steps"], {"matrix.shard": str(index)})
            return job

        self.run_shards(len(shards), play_shard)
        summaries = "".join(open(os.path.join(self.tmp, f"summary-shard-{i}.md")).read()
                            for i in shards)
        self.problems.need("broken.ipynb" in summaries,
                           "no step summary names the broken notebook")
        final = Job(self, "notify", self.github_env("notify"))
        final.env["GITHUB_WORKSPACE"] = final.dir
        secrets.update({f"secrets.{name}": value for name, value in self.secrets.items()})
        self.play_github_steps(final, doc["jobs"]["notify"]["steps"], secrets)
        self.problems.need(not final.failed, "the notify job failed")
        return final

    def check_results(self, final):
        """Check that every notebook ran once and the merged files say so."""
        shard_cases = []
        for shard_dir in self.shard_dirs:
            for path in glob.glob(os.path.join(shard_dir, "*.xml")):
                shard_cases += [case.get("name") for case in ElementTree.parse(path).iter("testcase")]
        self.problems.need(sorted(shard_cases) == sorted(NOTEBOOKS),
                           f"the shards' JUnit files list {sorted(shard_cases)}, "
                           f"expected each of {sorted(NOTEBOOKS)} once")
        junit = os.path.join(final.dir, "nbci-junit.xml")
        if self.problems.need(os.path.exists(junit), "the final job wrote no nbci-junit.xml"):
            cases = {case.get("name"): case for case in ElementTree.parse(junit).iter("testcase")}
            self.problems.need(sorted(cases) == sorted(NOTEBOOKS),
                               f"the merged JUnit file lists {sorted(cases)}")
            broken = cases.get("notebooks/broken.ipynb")
            self.problems.need(broken is not None and broken.find("failure") is not None,
                               "the merged JUnit file has no failure for broken.ipynb")
            schema = os.path.join(os.environ["G_TEST_SRCDIR"], "junit.xsd")
            if shutil.which("xmllint"):
                result = subprocess.run(["xmllint", "--noout", "--schema", schema, junit],
                                        capture_output=True, text=True)
                self.problems.need(result.returncode == 0,
                                   f"the merged JUnit file does not validate: {result.stderr}")
        report = os.path.join(final.dir, "nbci-report.json")
        if self.problems.need(os.path.exists(report), "the final job wrote no nbci-report.json"):
            with open(report, encoding="utf-8") as stream:
                entries = json.load(stream)
            self.problems.need([entry["notebook"] for entry in entries]
                               == ["notebooks/broken.ipynb"],
                               f"the merged report has {len(entries)} entries, expected "
                               "one for notebooks/broken.ipynb")
        # output_dir keeps the paths below the searched folder, notebooks.
        for name in NOTEBOOKS:
            executed = os.path.join("executed", os.path.relpath(name, "notebooks"))
            self.problems.need(os.path.exists(os.path.join(final.dir, executed)),
                               f"the final job has no {executed}")

    def start_webhook(self):
        """Start the loopback webhook that stands in for Slack."""
        port_path = os.path.join(self.tmp, "port")
        self.body_path = os.path.join(self.tmp, "body.json")
        server = os.path.join(os.environ["G_TEST_SRCDIR"], "webhook-server.py")
        self.webhook = subprocess.Popen(
            ["/usr/bin/python3", server, port_path, self.body_path,
             os.path.join(self.tmp, "headers.json")])
        for _ in range(100):
            if os.path.exists(port_path):
                break
            time.sleep(0.1)
        with open(port_path, encoding="utf-8") as stream:
            port = stream.read().strip()
        self.secrets = {"SLACK_WEBHOOK_URL": f"http://127.0.0.1:{port}/services/T0/B0/ci-lint"}

    def play(self):
        doc = load(self.path)
        self.start_webhook()
        try:
            if self.path.endswith("semaphore.yml"):
                final = self.play_semaphore(doc)
            elif self.path.endswith("gitlab-ci.yml"):
                final = self.play_gitlab(doc)
            else:
                final = self.play_github(doc)
            self.check_results(final)
            try:
                self.webhook.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            sent = os.path.exists(self.body_path)
            if self.problems.need(sent, "nbci notify sent nothing to the webhook"):
                with open(self.body_path, encoding="utf-8") as stream:
                    self.problems.need("broken.ipynb" in stream.read(),
                                       "the notification does not name broken.ipynb")
        finally:
            if self.webhook.poll() is None:
                self.webhook.terminate()
                self.webhook.wait()
        return self.problems


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("commands", "structure", "run"):
        sys.exit(__doc__)
    action, path = sys.argv[1:]
    if action == "commands":
        for line in command_lines(path):
            print(line)
        return 0
    if action == "structure":
        problems = structure(path)
    else:
        with tempfile.TemporaryDirectory(prefix="nbci-ci-lint-") as tmp:
            runner = Runner(path, tmp)
            problems = runner.play()
            if problems:
                problems += ["log of the played jobs:"] + "\n".join(runner.log).splitlines()
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
