"""Plan: Tianhe's planning questions.

Who meets which standard, the plan's indicators, what a scenario changes, where
new facilities should go, and a whole run computed once.

May import :mod:`tianhe_geo.foundation`, :mod:`tianhe_geo.data` and
:mod:`tianhe_geo.analysis`.
"""
