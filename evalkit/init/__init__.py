"""``evalkit init``: a new evaluation folder, set up so that its README's steps lead from
the survey exports to a published site.

:func:`init_folder` writes the folder: the README (the steps in order), the batch file,
mapping templates for Nettskjema and SurveyXact, the editable reference files (the
templates live in ``evalkit/data/init``), the two report notebooks with their
parameters pointed at the folder's data, and the empty folders ``exports``, ``data``,
``work`` and ``site``. With ``example=True`` the reference files and ``exports`` hold
evalkit's synthetic sample instead (:mod:`evalkit.init._example`), so that the steps can
be tried before any real export exists.

The README is in English, like every message, ``--help`` text and document of evalkit it
sends the evaluator to (the importers' README, the errors it quotes); the dashboards
themselves speak nb, nn or en. ``init`` writes only into a new or empty folder and has no
``--force``: an evaluator's edited reference files and mappings are never overwritten, and
a folder half old, half new would make the README and the files disagree.
"""

from __future__ import annotations

from evalkit.init._folder import FOLDERS, NOTEBOOKS, init_folder, notebook_for_folder

__all__ = ["FOLDERS", "NOTEBOOKS", "init_folder", "notebook_for_folder"]
