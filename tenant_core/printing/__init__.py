"""Mass printing (大量一括印刷): print runs with 通番, boxes (箱) and a 発送簿, for any module.

A module declares the kinds of document it prints in bulk in its manifest (``document_kinds``, each a
``DocumentKind``) and starts a run with ``services.create_run(session, kind_code, subjects)``. The
platform sorts the subjects (郵便番号, then address, unless the kind asks otherwise), numbers them
with a 通番 once and for all, and a job renders them box by box into PDF files under the city's own
folder, with a 発送簿 (Excel and PDF) in the same order. The core never names a module: it only
reads the manifests.

- ``kinds``: ``DocumentKind`` and the lookup of the installed kinds.
- ``models``: ``PrintRun`` and ``PrintItem`` (one row per document, its 通番, box and pull-out).
- ``services``: create a run, find a document by 通番, pull it out, the run's summary.
- ``render``: the page frame (帳票ID, 通番, 箱番号, address block and カスタマバーコード), box files, 発送簿.
- ``barcode``: Japan Post's カスタマバーコード.
- ``tasks``: the render job, resumable box by box.
"""
