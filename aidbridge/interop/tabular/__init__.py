"""Spreadsheet imports (CSV and XLSX): the reader, the kinds of sheet, the import engine and the templates."""
