"""IATI 2.03 activity export (:mod:`.export`) and import of published 2.01–2.03 activity files (:mod:`.importer`)."""
