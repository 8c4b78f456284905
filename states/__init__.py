"""The stages: one module per stage, named after it.

Each module declares the data its stage collects (``FIELDS``), who may record it (``RECORDERS``)
and the guard that must hold before an application may leave the stage (a ``Guard`` whose
``missing(context)`` lists what is still missing).
"""
