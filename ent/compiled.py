"""Querysets whose SQL is built once per process.

Django turns a queryset into SQL again on every evaluation. For the register's
four-way `select_related` that is ~1 ms of CPU, more than PostgreSQL takes to run
it, and the hot pages of a school morning (a register, its save, a family's
notice) run a handful of such queries each.

`CompiledQuery(build)` calls `build` once with placeholder values, keeps the
compiler (its select list and the layout of the related objects) and its SQL,
and each later call runs that SQL with the real values through Django's own
iterable: the same model instances, `select_related` objects included, the same
logging and query counts. Only integer ids, dates and aware datetimes may be
placeholders: values a database adapter passes through unchanged, so they can
be found again in the parameters. If one cannot be found (another adapter), the
query is built normally on every call: slower, never wrong.

The built SQL does not depend on the values (no `__in` lists of varying length),
as for a prepared statement.
"""

import copy
import datetime
import inspect
import itertools

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.transaction import TransactionManagementError

# Values no row has: ids below any sequence, dates and times centuries back.
_SENTINEL_INT = -7_031_977_000
_SENTINEL_DATE = datetime.date(1001, 1, 1)
_SENTINEL_DATETIME = datetime.datetime(1001, 1, 1, tzinfo=datetime.UTC)
# Outside a bigint, PostgreSQL refuses the parameter where Django's own lookups
# answer "no row": such values take Django's path.
_BIGINT = range(-(2**63), 2**63)


def _sentinels(names, kinds):
    """One distinct placeholder per argument, of the argument's kind."""
    values = {}
    for i, name in enumerate(names):
        kind = kinds.get(name, int)
        if kind is int:
            values[name] = _SENTINEL_INT - i
        elif kind is datetime.datetime:
            values[name] = _SENTINEL_DATETIME + datetime.timedelta(seconds=i)
        elif kind is datetime.date:
            values[name] = _SENTINEL_DATE + datetime.timedelta(days=i)
        else:
            raise TypeError(f"{name}: placeholders are int, date or datetime, not {kind!r}")
    return values


class _Query:
    """What Django's iterables read of a queryset's query, with the compiler
    replaced by the one built once."""

    def __init__(self, query, compiler):
        self._query = query
        self._compiler = compiler

    def get_compiler(self, using=None, connection=None, elide_empty=True):
        return self._compiler

    def __getattr__(self, name):
        return getattr(self._query, name)


class _Run:
    """The queryset attributes Django's iterables use (ModelIterable,
    ValuesListIterable, FlatValuesListIterable...)."""

    def __init__(self, queryset, compiler, db):
        self.db = db
        self.model = queryset.model
        self.query = _Query(queryset.query, compiler)
        self._known_related_objects = {}
        self._fields = queryset._fields


class CompiledQuery:
    """`build(**values)` returns the queryset; its keyword arguments are the
    values that change between calls. `kinds` names the arguments that are dates
    or datetimes (the others are integer ids)."""

    def __init__(self, build, **kinds):
        self.build = build
        self.names = tuple(inspect.signature(build).parameters)
        self.kinds = kinds
        self._built = {}  # (alias, vendor, time zone) -> (queryset, compiler, sql, params, slots) or None

    def _key(self, connection):
        return (connection.alias, connection.vendor, connection.timezone_name)

    def _compile(self, connection):
        placeholders = _sentinels(self.names, self.kinds)
        queryset = self.build(**placeholders)
        if queryset._prefetch_related_lookups:
            # Prefetching happens in QuerySet._fetch_all, which a compiled run skips.
            raise ValueError("A compiled query cannot prefetch_related: prefetch on the rows it returns.")
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        slots = {}
        by_value = {(type(v), v): name for name, v in placeholders.items()}
        for i, param in enumerate(params):
            name = by_value.get((type(param), param))
            if name is not None:
                slots[i] = name
        if set(slots.values()) != set(self.names):
            return None  # an adapter changed a value: build on every call
        return queryset, compiler, sql, tuple(params), slots

    def _built_for(self, connection, values):
        """What was built for this connection, or None when these values must
        take Django's path."""
        key = self._key(connection)
        if key not in self._built:
            self._built[key] = self._compile(connection)
        built = self._built[key]
        if built is None or any(type(v) is int and v not in _BIGINT for v in values.values()):
            return None
        return built

    @staticmethod
    def _params(built, values):
        _queryset, _compiler, _sql, params, slots = built
        params = list(params)
        for i, name in slots.items():
            params[i] = values[name]
        return tuple(params)

    def sql(self, using=DEFAULT_DB_ALIAS, **values):
        """(sql, params) for these values, for a caller that runs the SQL itself
        (the roles query, prepared on PostgreSQL)."""
        connection = connections[using]
        built = self._built_for(connection, values)
        if built is None:
            return self.build(**values).query.get_compiler(connection=connection).as_sql()
        return built[2], self._params(built, values)

    def list(self, using=DEFAULT_DB_ALIAS, **values):
        """Every row, as the queryset's iterable yields them."""
        connection = connections[using]
        built = self._built_for(connection, values)
        if built is None:
            return list(self.build(**values))
        queryset, compiler, sql, _params, _slots = built
        if queryset.query.select_for_update and not connection.in_atomic_block:
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        params = self._params(built, values)
        # A copy per call: another thread may run the same query meanwhile
        # (Channels' database threads), each on its own connection.
        run = copy.copy(compiler)
        run.connection = connection
        run.as_sql = lambda *args, **kwargs: (sql, params)
        return list(queryset._iterable_class(_Run(queryset, run, using)))

    def first(self, using=DEFAULT_DB_ALIAS, **values):
        """The first row, or None: for queries of one row (by id) or sliced."""
        return next(itertools.chain(self.list(using, **values), [None]))
