"""Known vulnerabilities in the installed dependencies (pip-audit), for .ci/run.

Fails (exit 1) when an installed package has a known vulnerability that a newer release fixes. Passes, saying so
plainly, when pip-audit cannot ask a vulnerability database (no network, or a package index mirror without the
PyPI JSON API): "could not audit" is reported, never "no vulnerabilities". Vulnerabilities without a fixed release
are listed but do not fail the build (there is nothing to upgrade to).

    python .ci/audit.py            # audits the active environment
"""

from __future__ import annotations

import json
import subprocess
import sys


def main() -> int:
    try:
        done = subprocess.run([sys.executable, "-m", "pip_audit", "--format", "json", "--progress-spinner", "off",
                               "--skip-editable"], capture_output=True, text=True, timeout=900)
    except FileNotFoundError:
        print("pip-audit: not installed (pip install -r requirements-test.txt); dependencies NOT audited.")
        return 0
    except subprocess.TimeoutExpired:
        print("pip-audit: WARNING - timed out; dependencies NOT audited.")
        return 0
    try:
        report = json.loads(done.stdout or "{}")
    except json.JSONDecodeError:
        report = {}
    deps = report.get("dependencies")
    if not deps:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        print("pip-audit: WARNING - could not query a vulnerability database (offline, or the index has no "
              f"vulnerability API); dependencies NOT audited. {' | '.join(tail)}")
        return 0
    audited = [d for d in deps if "skip_reason" not in d]
    skipped = [d for d in deps if "skip_reason" in d]
    fixable, unfixable = [], []
    for dep in audited:
        for vuln in dep.get("vulns", []):
            line = f"{dep['name']} {dep['version']}: {vuln['id']} (fixed in {', '.join(vuln['fix_versions']) or '-'})"
            (fixable if vuln.get("fix_versions") else unfixable).append(line)
    if not audited:
        print(f"pip-audit: WARNING - none of the {len(deps)} packages could be looked up (e.g. "
              f"{skipped[0]['skip_reason']}); the package index answering here has no vulnerability data. "
              "Dependencies NOT audited.")
        return 0
    print(f"pip-audit: {len(audited)} packages audited, {len(skipped)} skipped (not on PyPI, e.g. a local torch "
          f"build), {len(fixable)} fixable and {len(unfixable)} unfixed known vulnerabilities.")
    for line in unfixable:
        print(f"  no fix released yet: {line}")
    for line in fixable:
        print(f"  FIXABLE: {line}")
    return 1 if fixable else 0


if __name__ == "__main__":
    sys.exit(main())
