from __future__ import annotations

from django.urls import path

from aidbridge.logistics import views

app_name = "logistics"
urlpatterns = [
    path("shipments/", views.ShipmentList.as_view(), name="shipment_list"),
    path("shipments/generate/", views.GenerateShipments.as_view(), name="shipment_generate"),
    path("shipments/discrepancies/", views.DiscrepancyReport.as_view(), name="discrepancies"),
    path("shipments/<int:pk>/", views.ShipmentDetail.as_view(), name="shipment"),
    path("shipments/<int:pk>/dispatch/", views.ShipmentDispatch.as_view(), name="shipment_dispatch"),
    path("shipments/<int:pk>/in-transit/", views.ShipmentTrack.as_view(), name="shipment_in_transit"),
    path("shipments/<int:pk>/arrived/", views.ShipmentArrive.as_view(), name="shipment_arrived"),
    path("shipments/<int:pk>/cancel/", views.ShipmentCancel.as_view(), name="shipment_cancel"),
    path("shipments/<int:pk>/receive/", views.ShipmentReceive.as_view(), name="shipment_receive"),
    path("shipments/<int:pk>/proof-of-delivery/", views.ShipmentProof.as_view(), name="shipment_proof"),
    path("shipments/<int:pk>/proof-of-delivery/document/", views.ShipmentProofDocument.as_view(),
         name="shipment_proof_document"),
    path("shipments/<int:pk>/proof-of-delivery/download/", views.ProofDownload.as_view(), name="proof_download"),
    path("shipments/<int:pk>/split/", views.ShipmentSplit.as_view(), name="shipment_split"),
    path("shipments/<int:pk>/remove-lines/", views.ShipmentRemoveLines.as_view(), name="shipment_remove_lines"),
    path("hubs/<int:pk>/stock/", views.HubStock.as_view(), name="hub_stock"),
    path("hubs/<int:pk>/stock/movements/", views.StockMovementAdd.as_view(), name="stock_movement_add"),
]
