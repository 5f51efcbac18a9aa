"""The map page: the flow map (``dashboard/_flow_map.html``) with a period form and the table of flows."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from aidbridge.core.views import AppView
from aidbridge.dashboard import maps


class FlowMapView(AppView):
    """Tonnes from donor origins through hubs to destinations over a period, releasability applied."""

    def get(self, request: HttpRequest) -> HttpResponse:
        form, start, end = maps.period(request.GET)
        return render(request, "dashboard/map.html",
                      {"form": form, "flow_map": maps.flow_map_context(request.user, start, end)})
