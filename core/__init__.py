"""SAR Colorizer core: no QGIS here. Heavy imports (torch, GDAL) happen in the modules that need them."""
