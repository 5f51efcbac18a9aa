from __future__ import annotations

from aidbridge.interop import export_urls, import_urls

app_name = "interop"
urlpatterns = [*import_urls.urlpatterns, *export_urls.urlpatterns]
