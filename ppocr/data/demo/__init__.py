"""Generators of the bundled demo data and of the tests' tiny data sets (``tools/make_demo_data.py``).

* ``render.py`` draws text (Hershey fonts or system TrueType fonts) onto backgrounds;
* ``rec.py`` word crops (recognition), ``det.py`` pages with quads (detection), ``lines.py`` text lines
  (VGSL), ``kie.py`` forms with SER/RE labels.

Output is deterministic for a seed. Nothing here is imported by ``import ppocr``.
"""
