# SPDX-License-Identifier: MIT
"""
harness.py - the machinery of hvsim's validation suite (validate.py holds the checks).

Role: runs `hvsim run` / `hvsim sweep` into throw-away SQLite databases, reads one number per
replication back with SQL, turns the replications into a mean and a 95% Student-t half-width, and
judges it against an expectation:
  - Near(value, tol): PASS when |mean - value| <= tol and the half-width is below tol (so the
    check can tell a miss of tol from noise; docs/validation.md "Verdicts");
  - Within(lo, hi): PASS when the whole 95% interval lies in [lo, hi] (published directions and
    magnitudes, one-sided bounds with lo or hi infinite);
  - Same(): determinism, PASS when two things are identical.
A check may be marked known=REASON: a model defect reported and not yet fixed; it then shows KNOWN
instead of FAIL and does not fail the suite. Python 3 standard library only.
"""
import math
import os
import sqlite3
import statistics
import subprocess
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))
VALIDATION_SCENARIOS = os.path.join(HERE, 'scenarios')
SHIPPED_SCENARIOS = os.path.join(ROOT, 'scenarios')
SHIPPED_SWEEPS = os.path.join(ROOT, 'sweeps')

# Two-sided 95% Student-t quantiles t(0.975, df); between table entries the next smaller df is used
# (a slightly wider interval, never a narrower one).
T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262,
        10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110,
        18: 2.101, 19: 2.093, 20: 2.086, 25: 2.060, 30: 2.042, 40: 2.021, 60: 2.000, 120: 1.980}


def t975(df):
    """The 97.5% quantile of Student's t with df degrees of freedom (table, rounded down in df)."""
    return T975[max(k for k in T975 if k <= df)]


@dataclass
class Estimate:
    """Mean of the per-replication values and the 95% t half-width (0 for identical values)."""
    mean: float
    half: float
    n: int


def estimate(values):
    values = [float(v) for v in values]
    if not values:
        raise ValueError('no replication produced the metric')
    if len(values) == 1:
        return Estimate(values[0], math.inf, 1)
    sd = statistics.stdev(values)
    return Estimate(statistics.fmean(values), t975(len(values) - 1) * sd / math.sqrt(len(values)), len(values))


def ratio_of_means(numerator, denominator):
    """mean(a) / mean(b) of two independent sets of replications, with a 95% half-width by the delta
    method: var(A/B) ~ (A/B)^2 (var A / (n_a A^2) + var B / (n_b B^2)), t with min(n) - 1 degrees
    of freedom (conservative). Steadier than the mean of per-pair ratios when b is heavy-tailed."""
    a, b = [float(v) for v in numerator], [float(v) for v in denominator]
    ma, mb = statistics.fmean(a), statistics.fmean(b)
    rel = math.sqrt(statistics.variance(a) / (len(a) * ma * ma) + statistics.variance(b) / (len(b) * mb * mb))
    return Estimate(ma / mb, t975(min(len(a), len(b)) - 1) * rel * ma / mb, min(len(a), len(b)))


def fmt(x):
    """Four significant digits, no exponent for ordinary magnitudes."""
    if x is None:
        return '-'
    if math.isinf(x):
        return 'inf' if x > 0 else '-inf'
    if x == 0:
        return '0'
    if 1e-3 <= abs(x) < 1e6:
        digits = max(0, 3 - int(math.floor(math.log10(abs(x)))))
        return f'{x:.{digits}f}'
    return f'{x:.3e}'


@dataclass
class Near:
    """Expected value with an absolute tolerance (derived in docs/validation.md for each check)."""
    value: float
    tol: float

    def judge(self, est):
        return abs(est.mean - self.value) <= self.tol and est.half < self.tol

    def expected_text(self):
        return fmt(self.value)

    def tolerance_text(self):
        return '±' + fmt(self.tol)


@dataclass
class Within:
    """A range the whole 95% interval must lie in (lo or hi may be infinite)."""
    lo: float
    hi: float

    def judge(self, est):
        return self.lo <= est.mean - est.half and est.mean + est.half <= self.hi

    def expected_text(self):
        if math.isinf(self.hi):
            return '>= ' + fmt(self.lo)
        if math.isinf(self.lo):
            return '<= ' + fmt(self.hi)
        return fmt(self.lo) + '..' + fmt(self.hi)

    def tolerance_text(self):
        return 'interval inside'


@dataclass
class Row:
    """One line of the table: what was checked, against what, what came out."""
    check: str
    expected: str
    simulated: str
    tolerance: str
    verdict: str
    unit: str = ''
    note: str = ''


def verdict_of(ok, known):
    if ok:
        return 'PASS'
    return 'KNOWN' if known else 'FAIL'


def judged_row(check, expectation, est, unit='', known=None, note=''):
    """A row for a statistical check (Near or Within)."""
    simulated = fmt(est.mean) + ('' if est.half == 0 else ' ± ' + fmt(est.half))
    note = (known + '; ' + note if known and not expectation.judge(est) else note).strip('; ')
    return Row(check, expectation.expected_text(), simulated, expectation.tolerance_text(),
               verdict_of(expectation.judge(est), known), unit, note)


def same_row(check, what_a, what_b, equal, detail, known=None):
    """A row for a determinism check: two things that must be identical."""
    return Row(check, 'identical', 'identical' if equal else 'DIFFERENT', 'exact',
               verdict_of(equal, known), '', detail if equal else (known + '; ' if known else '') + detail)


class HvsimError(RuntimeError):
    pass


@dataclass
class Hvsim:
    """The hvsim binary and a scratch directory for the databases of one check."""
    path: str
    scratch: str
    runs: list = field(default_factory=list)

    def db(self, name):
        return os.path.join(self.scratch, name + '.db')

    def _call(self, args):
        self.runs.append(' '.join(args))
        proc = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            raise HvsimError(f'{" ".join(args)}: exit {proc.returncode}: {proc.stderr.strip()[-600:]}')

    def run(self, scenario, db_name, sets=(), replications=None, seed=None, binary=None):
        """hvsim run SCENARIO --db SCRATCH/DB_NAME.db --set ...; returns the database path.
        `sets` is a sequence of (pointer, value) with value a Python value written as JSON."""
        import json
        db = self.db(db_name)
        args = [binary or self.path, 'run', scenario, '--db', db, '--quiet']
        for pointer, value in sets:
            args += ['--set', f'{pointer}={json.dumps(value)}']
        if replications is not None:
            args += ['--replications', str(replications)]
        if seed is not None:
            args += ['--seed', str(seed)]
        self._call(args)
        return db

    def sweep(self, sweep_file, db_name, jobs=1):
        db = self.db(db_name)
        self._call([self.path, 'sweep', sweep_file, '--db', db, '-j', str(jobs)])
        return db


def scenario(name):
    """A validation scenario (tests/validation/scenarios) or, failing that, a shipped one."""
    own = os.path.join(VALIDATION_SCENARIOS, name)
    return own if os.path.exists(own) else os.path.join(SHIPPED_SCENARIOS, name)


def connect(db):
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    return con


def per_replication(db, scope, name, mode='virtual'):
    """One metric's value per replication (ordered by replication), from the latest group."""
    with connect(db) as con:
        rows = con.execute(
            'SELECT r.replication, m.value FROM metrics m JOIN runs r ON r.id = m.run_id '
            'WHERE r.mode = ? AND m.scope = ? AND m.name = ? '
            'AND r.group_id = (SELECT group_id FROM runs ORDER BY id DESC LIMIT 1) '
            'ORDER BY r.replication', (mode, scope, name)).fetchall()
    if not rows:
        raise HvsimError(f'{db}: no metric {scope} {name} ({mode})')
    return [row['value'] for row in rows]


def summed_per_replication(db, scope_like, name, mode='virtual'):
    """A metric summed over the scopes matching a LIKE pattern, per replication."""
    with connect(db) as con:
        rows = con.execute(
            'SELECT r.replication, sum(m.value) AS v FROM metrics m JOIN runs r ON r.id = m.run_id '
            'WHERE r.mode = ? AND m.scope LIKE ? AND m.name = ? GROUP BY r.id ORDER BY r.replication',
            (mode, scope_like, name)).fetchall()
    if not rows:
        raise HvsimError(f'{db}: no metric {scope_like} {name} ({mode})')
    return [row['v'] for row in rows]


def sim_seconds(db, mode='virtual'):
    with connect(db) as con:
        return [row[0] for row in con.execute(
            'SELECT sim_seconds FROM runs WHERE mode = ? ORDER BY replication', (mode,))]


def dump(db):
    """Every stored number of every run, keyed so that two databases of the same runs compare
    equal: runs without id, group, time stamps and wall time; metrics, histograms and timeseries
    keyed by (scenario, mode, replication), reals to 17 significant digits."""
    with connect(db) as con:
        runs = {row['id']: (row['scenario'], row['mode'], row['replication'])
                for row in con.execute('SELECT id, scenario, mode, replication FROM runs')}
        lines = sorted(f'run {k} seed={r["seed"]} hash={r["config_hash"]} events={r["events"]} '
                       f'sim={r["sim_seconds"]!r} {r["status"]}'
                       for r in con.execute('SELECT * FROM runs') for k in [runs[r['id']]])
        for table, cols in (('metrics', 'scope, name, unit, value'),
                            ('histograms', 'scope, name, unit, lo, hi, count'),
                            ('timeseries', 'scope, name, t_seconds, value')):
            for row in con.execute(f'SELECT run_id, {cols} FROM {table}'):
                values = ' '.join(f'{v:.17g}' if isinstance(v, float) else str(v) for v in tuple(row)[1:])
                lines.append(f'{table} {runs[row[0]]} {values}')
    lines.sort()
    return lines
