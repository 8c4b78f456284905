"""The road an application travels.

Vocabulary: an *application* moves through *stages* (states) when an *actor* (a person acting in
one of their *roles*) fires a *trigger*. A *guard* lists what is still missing before the
application may leave its stage; a refusal names every missing item.
"""
