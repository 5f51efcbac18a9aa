"""The interop app's routes: imports (spreadsheets, IATI, FTS) and open-data exports (IATI, FTS, HXL)."""

from __future__ import annotations

from ninja import Router

from aidbridge.interop.exports_api import router as exports_router
from aidbridge.interop.imports_api import router as imports_router

router = Router()
router.add_router("", imports_router)
router.add_router("", exports_router)
