"""Everything that speaks SQL: engine, column types, one table module per aggregate, migrations.

Nothing outside `store` writes SQL; services call the functions of the table modules here.
"""
