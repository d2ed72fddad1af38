"""Stage 5: files for people. :func:`write.write_outputs` writes everything a run makes into
``output/<as-of>/``; the other modules each have one job:

* ``names`` - every output path and file name (the only place one is built);
* ``folder`` - one writer at a time, swap into place, recovery after a kill;
* ``xlsx`` - low-level formatted tables; ``columns`` - every table's columns;
* ``frames`` - result frames -> the tables people read (pure);
* ``sheets`` (and ``charts``) - the sheets the workbooks share;
* ``master``, ``readers`` (leaders, health centre, problems), ``community`` (CommunityView) -
  the workbooks; ``parallel`` - the process pool that writes them;
* ``circular/`` - the circular (context, render, docx); ``blank`` - templates to fill in.
"""
