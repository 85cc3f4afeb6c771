"""The data version: one number that changes whenever the stored data does.

Served pages cache what they read (one copy per server process); they key those caches by this
number, so a page built after an import reads afresh while a filter change in the same data
still costs nothing. Reading it is one single-row ``SELECT`` (well under a millisecond).

Every writer calls :func:`bump` **first** in its transaction. That does two jobs:

* the new number is committed, or rolled back, with the data it stands for;
* writers take turns. On PostgreSQL the ``UPDATE`` locks the one row until the transaction
  ends, so a second import waits there and then (read committed) sees everything the first
  committed before it compares its file with the stored rows; on SQLite :func:`bump` opens the
  transaction with ``BEGIN IMMEDIATE``, taking the database's write lock before anything is
  read. Imports therefore never compare against a read another writer has since made stale,
  and each one's "new / updated / unchanged" summary is true of the data it committed into.
  Readers (the pages) are never blocked: they read the last committed data.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, insert, select, update

from hubcore.models import DataVersion

T_VERSION = DataVersion.__table__


def begin_write(conn: Connection) -> None:
    """Open a SQLite transaction that holds the write lock from its first statement (a no-op
    elsewhere, and when a transaction is already open). Python's driver would otherwise start a
    deferred one, whose reads can go stale before its first write."""
    if conn.dialect.name != "sqlite":
        return
    driver = conn.connection.driver_connection
    if not driver.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def bump(conn: Connection) -> int:
    """Add one to the data version inside ``conn``'s transaction and return the new value.

    Call it before the writer reads anything it will compare with (see the module text): from
    here until commit, no other writer can change the data.
    """
    begin_write(conn)
    done = conn.execute(
        update(T_VERSION).where(T_VERSION.c.id == 1).values(version=T_VERSION.c.version + 1)
    )
    if done.rowcount == 0:  # a schema made without migration 0004's seed row
        conn.execute(insert(T_VERSION).values(id=1, version=1))
    return int(conn.execute(select(T_VERSION.c.version).where(T_VERSION.c.id == 1)).scalar_one())


def current(engine_or_conn: Engine | Connection) -> int:
    """The committed data version (0 before anything was written)."""
    query = select(T_VERSION.c.version).where(T_VERSION.c.id == 1)
    if isinstance(engine_or_conn, Engine):
        with engine_or_conn.connect() as conn:
            value = conn.execute(query).scalar()
    else:
        value = engine_or_conn.execute(query).scalar()
    return int(value or 0)
