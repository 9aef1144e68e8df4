"""Inputs that are not plain GeoTIFF files with a geotransform, on a real scene: a member of a zip
file, a GeoPackage raster table (both as QGIS layers hand them over), and a Sentinel-1 GRD-like
raster georeferenced by ground control points instead of a geotransform."""
import re
import zipfile

import numpy as np
import pytest
from osgeo import gdal

from sar_colorizer.core.cli import main
from sar_colorizer.core.options import ColorizeOptions
from sar_colorizer.core.pipeline import colorize

RHONE = "rhone-delta_vv_db_utm31n.tif"
# the Rhone scene's pixels are 20 m, the model learnt from 10 m ones (core/resolution.py)
RHONE_IS_20_M = (f"{RHONE}: its pixels are about 20 m on the ground, the model learnt from 10 m pixels: it sees "
                 "every field, street and river smaller than it knows them, so textures and colours are less reliable")


@pytest.fixture
def rhone(shared_data):
    return shared_data / "scenes" / RHONE


def pixels(path):
    ds = gdal.Open(str(path))  # kept alive while its bands are read (GDAL 3.6)
    return ds.ReadAsArray(), ds.GetRasterBand(1).GetMaskBand().ReadAsArray()


def zipped(scene, tmp_path) -> str:
    archive = tmp_path / "S1_scene.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(scene, f"S1_scene/{scene.name}")
    return f"/vsizip/{archive}/S1_scene/{scene.name}"  # absolute: /vsizip//tmp/...


def geopackage(scene, tmp_path) -> str:
    gpkg = tmp_path / "scenes.gpkg"
    gdal.Translate(str(gpkg), str(scene), format="GPKG", creationOptions=["RASTER_TABLE=rhone"])
    return f"GPKG:{gpkg}:rhone"


@pytest.mark.parametrize("make_name", [zipped, geopackage], ids=["zip-member", "geopackage-table"])
def test_gdal_dataset_names_give_the_same_output_as_the_file(rhone, make_name, model_file, tmp_path):
    name = make_name(rhone, tmp_path)
    options = ColorizeOptions(model_path=model_file, backend="torch")
    colorize(rhone, tmp_path / "from_file.tif", options)
    result = colorize(name, tmp_path / "from_name.tif", options)
    assert result.warnings == [RHONE_IS_20_M.replace(RHONE, result_label(name))]
    (rgb, mask), (rgb_file, mask_file) = pixels(tmp_path / "from_name.tif"), pixels(tmp_path / "from_file.tif")
    assert np.array_equal(rgb, rgb_file) and np.array_equal(mask, mask_file)
    assert rgb.std() > 1  # a real prediction, not a blank image
    out, src = gdal.Open(str(tmp_path / "from_name.tif")), gdal.Open(str(rhone))
    assert out.GetGeoTransform() == pytest.approx(src.GetGeoTransform())
    assert out.GetSpatialRef().IsSame(src.GetSpatialRef())


def result_label(name: str) -> str:
    """How messages name a GDAL dataset name (core.names.dataset_label)."""
    from sar_colorizer.core.names import dataset_label

    return dataset_label(name)


def test_cli_batch_names_outputs_after_the_dataset_and_refuses_two_inputs_for_one_output(
        rhone, model_file, tmp_path, capsys):
    names = [zipped(rhone, tmp_path), geopackage(rhone, tmp_path)]
    out_dir = tmp_path / "out"
    rc = main(names + ["--out-dir", str(out_dir), "--model", str(model_file), "--backend", "torch", "-q"])
    assert rc == 0, capsys.readouterr().err
    assert sorted(p.name for p in out_dir.iterdir()) == ["rhone-delta_vv_db_utm31n_rgb.tif", "scenes_rhone_rgb.tif"]

    # the zip member and the file have the same name: with --overwrite one output would replace the other
    with pytest.raises(SystemExit) as exit_:
        main([names[0], str(rhone), "--out-dir", str(tmp_path / "again"), "--model", str(model_file), "--overwrite"])
    assert exit_.value.code == 2
    both = tmp_path / "again" / "rhone-delta_vv_db_utm31n_rgb.tif"
    assert capsys.readouterr().err.strip().endswith(
        f"error: {names[0]} and {rhone} would both be written to {both}: colorize them into different folders")
    assert not (tmp_path / "again").exists()


def test_missing_member_of_a_zip_is_one_clear_message(rhone, model_file, tmp_path, capsys):
    name = zipped(rhone, tmp_path).replace(RHONE, "missing.tif")
    rc = main([name, str(tmp_path / "o.tif"), "--model", str(model_file), "-q"])
    assert rc == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"sar-colorize: error: {name} is not a raster GDAL can read: ") and "\n" not in err
    assert not (tmp_path / "o.tif").exists()


def test_gcp_georeferenced_input_gives_an_output_with_the_same_gcps(rhone, model_file, gcp_copy, tmp_path):
    grd = tmp_path / "grd_like_vv.tif"
    gcps = gcp_copy(rhone, grd)
    options = ColorizeOptions(model_path=model_file, backend="torch")
    result = colorize(grd, tmp_path / "rgb.tif", options)
    # GCPs tell GIS software where it lies (no "no CRS" warning), and how large its pixels are
    assert result.warnings == [RHONE_IS_20_M.replace(RHONE, grd.name)]

    out = gdal.Open(str(tmp_path / "rgb.tif"))
    assert out.GetGeoTransform(can_return_null=True) is None
    assert [(g.GCPPixel, g.GCPLine, g.GCPX, g.GCPY) for g in out.GetGCPs()] == \
        [(g.GCPPixel, g.GCPLine, g.GCPX, g.GCPY) for g in gcps]
    assert out.GetGCPSpatialRef().GetAuthorityCode(None) == "4326"
    # the same pixels as from the map-projected file: only the georeferencing differs
    colorize(rhone, tmp_path / "rgb_map.tif", options)
    assert np.array_equal(pixels(tmp_path / "rgb.tif")[0], pixels(tmp_path / "rgb_map.tif")[0])

    # warped as a GIS draws it, the output covers exactly the input's grid
    warped_in = gdal.Warp("", str(grd), format="MEM", dstSRS="EPSG:4326", tps=True)
    warped_out = gdal.Warp("", str(tmp_path / "rgb.tif"), format="MEM", dstSRS="EPSG:4326", tps=True)
    assert warped_out.GetGeoTransform() == pytest.approx(warped_in.GetGeoTransform(), abs=1e-12)
    assert (warped_out.RasterXSize, warped_out.RasterYSize) == (warped_in.RasterXSize, warped_in.RasterYSize)


def test_input_without_any_georeferencing_still_warns(rhone, model_file, tmp_path):
    plain = tmp_path / "plain_vv.tif"
    src = gdal.Open(str(rhone))
    ds = gdal.GetDriverByName("GTiff").Create(str(plain), src.RasterXSize, src.RasterYSize, 1, gdal.GDT_Float32)
    ds.GetRasterBand(1).WriteArray(src.ReadAsArray())
    ds.GetRasterBand(1).SetNoDataValue(-99)
    ds = None
    result = colorize(plain, tmp_path / "rgb.tif", ColorizeOptions(model_path=model_file, backend="torch"))
    assert result.warnings == ["plain_vv.tif has no coordinate reference system: the output copies its pixel grid "
                               "but GIS software will not know where it lies"]
    out = gdal.Open(str(tmp_path / "rgb.tif"))
    assert out.GetGeoTransform(can_return_null=True) is None and out.GetGCPCount() == 0


@pytest.mark.parametrize("scene_name", [RHONE, "sen12ms-cr-s1/ROIs1158_spring_s1_1_p540.tif"])
def test_grd_amplitudes_are_colorized_like_the_calibrated_db_scene(shared_data, scene_name, benchmark, tmp_path):
    """The bundled model on a real scene in dB, and on the same scene as GRD amplitudes: the file's
    description makes them amplitudes (dB up to the calibration offset the scene normalisation takes
    away), not display numbers, which gave colours 15-38 levels off on average."""
    from sar_colorizer.core.modelfile import DEFAULT_MODEL_PATH

    if not DEFAULT_MODEL_PATH.is_file():
        pytest.skip(f"the bundled model is not installed at {DEFAULT_MODEL_PATH}")
    scene = shared_data / "scenes" / scene_name
    grd = tmp_path / "s1a-iw-grd.tiff"
    valid = benchmark("grd_amplitudes").as_grd(scene, grd)  # the writer benchmarks/grd_amplitudes.py measures with
    colorize(scene, tmp_path / "from_db.tif", ColorizeOptions())
    result = colorize(grd, tmp_path / "from_grd.tif", ColorizeOptions())
    assert set(result.units.split(",")) == {f"{b}:amplitude" for b in result.bands_used}
    (reference, mask), (rgb, grd_mask) = pixels(tmp_path / "from_db.tif"), pixels(tmp_path / "from_grd.tif")
    assert np.array_equal(grd_mask > 0, valid) and np.array_equal(mask, grd_mask)
    diff = np.abs(rgb.astype(int) - reference)[:, valid]
    assert diff.mean() < 2 and diff.max() <= 8  # UInt16 rounding of weak echoes: 0.3 dB at DN 28

    colorize(grd, tmp_path / "as_dn.tif", ColorizeOptions(units="dn"))  # the numbers taken as display numbers
    wrong = np.abs(pixels(tmp_path / "as_dn.tif")[0].astype(int) - reference)[:, valid].mean()
    # measured on the Rhone scene: 6.1 levels with the colour-prior model (its colours are softer),
    # 15-38 with the model before it; the amplitudes read right: under 2
    assert wrong > max(4.0, 3 * diff.mean())


def test_scaled_integers_are_read_as_the_values_they_stand_for(rhone, model_file, tmp_path):
    """dB stored as Int16 hundredths with GDAL's band scale 0.01 (and its nodata a stored number)."""
    src = gdal.Open(str(rhone))
    db = src.ReadAsArray()
    db[:20, :30] = -99  # the scene's nodata value
    files = {}
    for name, gdal_type, stored, nodata, scale in (("float", gdal.GDT_Float32, db, -99, None),
                                                  ("packed", gdal.GDT_Int16, np.round(db * 100), -9900, 0.01)):
        files[name] = tmp_path / f"vv_{name}.tif"
        ds = gdal.GetDriverByName("GTiff").Create(str(files[name]), src.RasterXSize, src.RasterYSize, 1, gdal_type)
        ds.SetGeoTransform(src.GetGeoTransform())
        ds.SetProjection(src.GetProjection())
        band = ds.GetRasterBand(1)
        band.WriteArray(stored)
        band.SetNoDataValue(nodata)
        if scale:
            band.SetScale(scale)
            band.SetOffset(0.0)
        ds = None
    options = ColorizeOptions(model_path=model_file, backend="torch")
    result = colorize(files["packed"], tmp_path / "from_packed.tif", options)
    assert result.units == "VV:db"  # not display numbers
    colorize(files["float"], tmp_path / "from_float.tif", options)
    (rgb, mask), (reference, ref_mask) = pixels(tmp_path / "from_packed.tif"), pixels(tmp_path / "from_float.tif")
    assert (mask[:20, :30] == 0).all() and int((mask == 0).sum()) == 20 * 30
    assert np.array_equal(mask, ref_mask)
    assert np.abs(rgb.astype(int) - reference).max() <= 1


SEN12 = "sen12ms-cr-s1/ROIs1158_spring_s1_1_p540.tif"


def split_polarisations(scene, folder):
    """The dual-pol scene as two one-band files, as ASF's RTC products and per-band exports come."""
    paths = []
    for number, pol in ((1, "VV"), (2, "VH")):
        paths.append(folder / f"scene_{pol}.tif")
        gdal.Translate(str(paths[-1]), str(scene), bandList=[number])
    return paths


def test_vv_and_vh_in_two_files_give_the_output_of_the_two_band_file(shared_data, model_factory, tmp_path, capsys):
    scene = shared_data / "scenes" / SEN12
    vv, vh = split_polarisations(scene, tmp_path)
    model = model_factory(bands=("VV", "VH"), availability=True)
    assert main([str(vv), str(tmp_path / "pair.tif"), "--vh", str(vh), "--model", str(model), "-q"]) == 0
    colorize(scene, tmp_path / "one_file.tif", ColorizeOptions(model_path=model))
    (rgb, mask), (reference, ref_mask) = pixels(tmp_path / "pair.tif"), pixels(tmp_path / "one_file.tif")
    assert np.array_equal(rgb, reference) and np.array_equal(mask, ref_mask)
    vv_only = colorize(vv, tmp_path / "vv_only.tif", ColorizeOptions(model_path=model))
    assert vv_only.bands_used == {"VV": 1}
    assert not np.array_equal(pixels(tmp_path / "vv_only.tif")[0], reference)  # VH did reach the model
    out, src = gdal.Open(str(tmp_path / "pair.tif")), gdal.Open(str(scene))
    assert out.GetGeoTransform() == src.GetGeoTransform() and out.GetSpatialRef().IsSame(src.GetSpatialRef())

    # a part of the pair is the same part of the two-band file
    gt = src.GetGeoTransform()
    part = (gt[0] + 40 * gt[1], gt[3] + 200 * gt[5], gt[0] + 150 * gt[1], gt[3] + 30 * gt[5])
    colorize(vv, tmp_path / "pair_part.tif", ColorizeOptions(model_path=model, extent=part), vh_path=vh)
    colorize(scene, tmp_path / "one_file_part.tif", ColorizeOptions(model_path=model, extent=part))
    assert gdal.Open(str(tmp_path / "pair_part.tif")).RasterXSize == 110
    assert np.array_equal(pixels(tmp_path / "pair_part.tif")[0], pixels(tmp_path / "one_file_part.tif")[0])


def test_vv_and_vh_files_on_different_grids_are_refused(shared_data, model_file, tmp_path, capsys):
    scene = shared_data / "scenes" / SEN12
    vv, vh = split_polarisations(scene, tmp_path)
    cropped, shifted = tmp_path / "cropped_VH.tif", tmp_path / "shifted_VH.tif"
    gdal.Translate(str(cropped), str(vh), srcWin=[0, 0, 200, 256])
    gdal.Translate(str(shifted), str(vh))
    ds = gdal.Open(str(shifted), gdal.GA_Update)
    gt = list(ds.GetGeoTransform())
    gt[0] += 10  # one pixel east
    ds.SetGeoTransform(gt)
    ds = None
    for other, message in (
            (cropped, "scene_VV.tif (256 x 256 px) and cropped_VH.tif (200 x 256 px) are not the same size: VV and VH "
                      "must share one pixel grid"),
            (shifted, "scene_VV.tif and shifted_VH.tif do not lie on the same pixel grid (georeferencing or CRS "
                      "differ): VV and VH must share one; resample one onto the other first")):
        assert main([str(vv), str(tmp_path / "o.tif"), "--vh", str(other), "--model", str(model_file), "-q"]) == 1
        assert capsys.readouterr().err.strip() == f"sar-colorize: error: {message}"
        assert not (tmp_path / "o.tif").exists()
    with pytest.raises(SystemExit):
        main([str(vv), "--out-dir", str(tmp_path / "d"), "--vh", str(vh)])
    assert capsys.readouterr().err.strip().endswith(
        "error: --vh pairs one VH file with one input: give INPUT OUTPUT --vh VH_INPUT, without --out-dir")


PRODUCT = "S1A_IW_GRDH_1SDV_20200606T054512_20200606T054537_032890_03CF4E_6B4A"


def sentinel1_safe(scene, folder, lonlat, calibration: float = 500.0):
    """The dual-pol scene as an ESA GRD product in the SAFE layout that GDAL's SAFE driver reads: a
    manifest, per polarisation an annotation (size, product type, polarisation, a geolocation grid
    of 4 x 5 points) and a UInt16 amplitude TIFF. Returns the .SAFE folder and the grid points."""
    src = gdal.Open(str(scene))
    width, height = src.RasterXSize, src.RasterYSize
    positions = [(round(pixel), round(line)) for line in np.linspace(0, height - 1, 4)
                 for pixel in np.linspace(0, width - 1, 5)]
    points = [(pixel, line, round(lon, 9), round(lat, 9))
              for (pixel, line), (lon, lat) in zip(positions, lonlat(scene, positions))]
    grid = "".join(f"<geolocationGridPoint><line>{line}</line><pixel>{pixel}</pixel><latitude>{lat}</latitude>"
                   f"<longitude>{lon}</longitude><height>0</height></geolocationGridPoint>"
                   for pixel, line, lon, lat in points)
    safe = folder / f"{PRODUCT}.SAFE"
    (safe / "measurement").mkdir(parents=True)
    (safe / "annotation" / "calibration").mkdir(parents=True)
    units, metadata, data = [], [], []
    for i, pol in enumerate(("vv", "vh"), start=1):
        stem = f"s1a-iw-grd-{pol}-20200606t054512-20200606t054537-032890-03cf4e-00{i}"
        amplitude = np.round(calibration * 10 ** (src.GetRasterBand(i).ReadAsArray().astype(np.float64) / 20))
        tiff = gdal.GetDriverByName("GTiff").Create(str(safe / "measurement" / f"{stem}.tiff"), width, height, 1,
                                                    gdal.GDT_UInt16)
        tiff.SetMetadataItem("TIFFTAG_IMAGEDESCRIPTION", "Sentinel-1A IW GRD HR L1")
        tiff.GetRasterBand(1).WriteArray(np.clip(amplitude, 1, 65535).astype(np.uint16))
        tiff = None
        (safe / "annotation" / f"{stem}.xml").write_text(
            f"<product><adsHeader><missionId>S1A</missionId><productType>GRD</productType>"
            f"<polarisation>{pol.upper()}</polarisation><mode>IW</mode><swath>IW</swath></adsHeader>"
            f"<imageAnnotation><imageInformation><numberOfSamples>{width}</numberOfSamples>"
            f"<numberOfLines>{height}</numberOfLines><outputPixels>16 bit Unsigned Integer</outputPixels>"
            f"</imageInformation><processingInformation><ellipsoidName>WGS84</ellipsoidName>"
            f"<ellipsoidSemiMajorAxis>6378137</ellipsoidSemiMajorAxis><ellipsoidSemiMinorAxis>6356752.314245"
            f"</ellipsoidSemiMinorAxis></processingInformation></imageAnnotation><geolocationGrid>"
            f"<geolocationGridPointList>{grid}</geolocationGridPointList></geolocationGrid></product>")
        (safe / "annotation" / "calibration" / f"calibration-{stem}.xml").write_text("<calibration/>")
        units.append(f'<xfdu:contentUnit unitType="Measurement Data Unit" repID="s1Level1MeasurementSchema" '
                     f'dmdID="product{i} calibration{i}"><dataObjectPointer dataObjectID="measurement{i}"/>'
                     f'</xfdu:contentUnit>')
        for kind in ("product", "calibration"):
            metadata.append(f'<metadataObject ID="{kind}{i}"><dataObjectPointer dataObjectID="{kind}File{i}"/>'
                            f'</metadataObject>')
        for object_id, schema, href in ((f"measurement{i}", "s1Level1MeasurementSchema", f"measurement/{stem}.tiff"),
                                        (f"productFile{i}", "s1Level1ProductSchema", f"annotation/{stem}.xml"),
                                        (f"calibrationFile{i}", "s1Level1CalibrationSchema",
                                         f"annotation/calibration/calibration-{stem}.xml")):
            data.append(f'<dataObject ID="{object_id}" repID="{schema}"><byteStream>'
                        f'<fileLocation locatorType="URL" href="./{href}"/></byteStream></dataObject>')
    (safe / "manifest.safe").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<xfdu:XFDU xmlns:xfdu="urn:ccsds:schema:xfdu:1">'
        f'<informationPackageMap><xfdu:contentUnit unitType="SAFE Archive Information Package">{"".join(units)}'
        f'</xfdu:contentUnit></informationPackageMap><metadataSection>{"".join(metadata)}</metadataSection>'
        f'<dataObjectSection>{"".join(data)}</dataObjectSection></xfdu:XFDU>')
    return safe, points


def test_a_sentinel1_safe_product_as_delivered_folder_manifest_or_zip(shared_data, model_factory, lonlat, tmp_path):
    scene = shared_data / "scenes" / SEN12
    safe, points = sentinel1_safe(scene, tmp_path, lonlat)
    model = model_factory(bands=("VV", "VH"), availability=True)
    result = colorize(safe / "manifest.safe", tmp_path / "rgb.tif", ColorizeOptions(model_path=model))
    assert result.bands_used == {"VV": 1, "VH": 2}  # from the driver's polarisation metadata
    assert result.units == "VV:amplitude,VH:amplitude" and result.warnings == []
    out = gdal.Open(str(tmp_path / "rgb.tif"))
    assert out.GetGeoTransform(can_return_null=True) is None
    assert [(g.GCPPixel, g.GCPLine, g.GCPX, g.GCPY) for g in out.GetGCPs()] == points
    product = gdal.Open(str(safe / "manifest.safe"))
    assert out.GetGCPSpatialRef().IsSame(product.GetGCPSpatialRef())
    assert out.GetGCPSpatialRef().IsGeographic() and out.GetGCPSpatialRef().GetAttrValue("DATUM") == "WGS_1984"

    # the colours of the calibrated dB scene, up to the UInt16 rounding of weak echoes
    colorize(scene, tmp_path / "from_db.tif", ColorizeOptions(model_path=model))
    (rgb, _), (reference, _) = pixels(tmp_path / "rgb.tif"), pixels(tmp_path / "from_db.tif")
    assert np.abs(rgb.astype(int) - reference).mean() < 2

    # the folder, or the product still zipped as downloaded, in a batch: named after the product
    archive = tmp_path / f"{PRODUCT}.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in safe.rglob("*"):
            z.write(path, path.relative_to(tmp_path))
    zipped_manifest = f"/vsizip/{archive}/{PRODUCT}.SAFE/manifest.safe"
    for source, folder in ((str(safe), "from_folder"), (zipped_manifest, "from_zip")):
        assert main([source, "--out-dir", str(tmp_path / folder), "--model", str(model), "-q"]) == 0
        written = tmp_path / folder / f"{PRODUCT}_rgb.tif"
        assert np.array_equal(pixels(written)[0], rgb)

    # one polarisation of it, as QGIS lists the product's sub-datasets
    sub = f"SENTINEL1_CALIB:UNCALIB:{safe / 'manifest.safe'}:IW_VV:AMPLITUDE"
    assert main([sub, "--out-dir", str(tmp_path / "sub"), "--model", str(model), "-q"]) == 0
    written = gdal.Open(str(tmp_path / "sub" / f"UNCALIB_{PRODUCT}_IW_VV_AMPLITUDE_rgb.tif"))
    assert written.GetMetadataItem("SAR_COLORIZER_BANDS") == "VV:1"
    assert written.GetMetadataItem("SAR_COLORIZER_UNITS") == "VV:amplitude"
    assert written.GetGCPCount() == len(points)


def test_vv_and_vh_stored_the_other_way_round_are_told_apart_by_their_strength(shared_data, model_factory,
                                                                               model_file, tmp_path):
    """A two-band file with no band names is VV, VH by convention; VH first (exports that sort band
    names) gave the model its bands swapped. VV is the stronger (by 5.5-7.5 dB in all 23 real
    dual-pol scenes here), so the weaker first band is now taken as VH, with a warning."""
    scene = shared_data / "scenes" / SEN12
    swapped = tmp_path / "vh_then_vv.tif"
    gdal.Translate(str(swapped), str(scene), bandList=[2, 1])
    dual = model_factory(bands=("VV", "VH"), availability=True)
    for model, kind in ((dual, "dual"), (model_file, "vv_only")):
        result = colorize(swapped, tmp_path / f"{kind}_swapped.tif", ColorizeOptions(model_path=model))
        colorize(scene, tmp_path / f"{kind}.tif", ColorizeOptions(model_path=model))
        assert result.bands_used == ({"VV": 2, "VH": 1} if kind == "dual" else {"VV": 2})
        assert result.warnings == [
            "vh_then_vv.tif: band 1 is the weaker of its two bands, so band 2 is taken as VV and band 1 as VH "
            "(co-polarised backscatter is the stronger); if that is wrong, say which band is which (command line: "
            "--bands VV=1,VH=2; QGIS: the VV band / VH band fields)"]
        assert np.array_equal(pixels(tmp_path / f"{kind}_swapped.tif")[0], pixels(tmp_path / f"{kind}.tif")[0])

    # the right order, or bands the user named, are left as they are
    assert colorize(scene, tmp_path / "a.tif", ColorizeOptions(model_path=dual)).warnings == []
    said = colorize(swapped, tmp_path / "b.tif", ColorizeOptions(model_path=dual, bands={"VV": 1, "VH": 2}))
    assert said.bands_used == {"VV": 1, "VH": 2} and said.warnings == []


def test_an_extent_colorizes_only_the_pixels_that_cover_it(rhone, model_file, gcp_copy, tmp_path, capsys):
    src = gdal.Open(str(rhone))
    gt = src.GetGeoTransform()
    # columns 100-199.5 and rows 50-149 of the Rhone scene, in its UTM coordinates
    extent = (gt[0] + 100 * gt[1], gt[3] + 150 * gt[5], gt[0] + 199.5 * gt[1], gt[3] + 50 * gt[5])
    out = tmp_path / "part.tif"
    assert main([str(rhone), str(out), "--extent", ",".join(map(repr, extent)), "--model", str(model_file),
                 "--backend", "torch", "-q"]) == 0
    assert capsys.readouterr().err == f"sar-colorize: warning: {RHONE_IS_20_M}\n"
    part = gdal.Open(str(out))
    assert (part.RasterXSize, part.RasterYSize) == (100, 100)
    assert part.GetGeoTransform() == pytest.approx((gt[0] + 100 * gt[1], gt[1], 0, gt[3] + 50 * gt[5], 0, gt[5]))
    assert part.GetSpatialRef().IsSame(src.GetSpatialRef())
    assert part.GetMetadataItem("SAR_COLORIZER_WINDOW") == "x 100, y 50, 100 x 100 px of the source"
    assert part.ReadAsArray().std() > 1

    # a GRD placed by ground control points: the extent in their longitude/latitude, the GCPs moved
    grd = tmp_path / "grd.tif"
    gcps = gcp_copy(rhone, grd)
    lon = sorted(g.GCPX for g in gcps)
    lat = sorted(g.GCPY for g in gcps)
    result = colorize(grd, tmp_path / "grd_part.tif", ColorizeOptions(  # the south-east quarter
        model_path=model_file, extent=((lon[0] + lon[-1]) / 2, lat[0], lon[-1], (lat[0] + lat[-1]) / 2)))
    grd_part = gdal.Open(str(result.output_path))
    x0, y0 = (int(v) for v in re.match(r"x (\d+), y (\d+), ", grd_part.GetMetadataItem("SAR_COLORIZER_WINDOW")).groups())
    assert 120 < x0 < 150 and 95 < y0 < 125  # about the middle of the 268 x 217 scene
    assert (grd_part.RasterXSize, grd_part.RasterYSize) == (268 - x0, 217 - y0)
    assert grd_part.GetGeoTransform(can_return_null=True) is None
    assert [(g.GCPPixel, g.GCPLine, g.GCPX, g.GCPY) for g in grd_part.GetGCPs()] == \
        [(g.GCPPixel - x0, g.GCPLine - y0, g.GCPX, g.GCPY) for g in gcps]

    assert main([str(rhone), str(tmp_path / "none.tif"), "--extent", "0,0,1,1", "--model", str(model_file), "-q"]) == 1
    assert capsys.readouterr().err.strip() == ("sar-colorize: error: rhone-delta_vv_db_utm31n.tif: the extent 0, 0, 1, 1 "
                                               "does not overlap the raster (give it in the raster's CRS)")
    assert not (tmp_path / "none.tif").exists()


def test_an_extent_is_normalised_with_the_whole_scene_statistics(rhone, model_file):
    """Windows colorized one by one must meet without a seam, as tiles do."""
    from sar_colorizer.core import raster_io
    from sar_colorizer.core.modelfile import load_model_file
    from sar_colorizer.core.pipeline import scene_statistics

    meta = load_model_file(model_file).metadata
    src = gdal.Open(str(rhone))
    gt = src.GetGeoTransform()
    whole = raster_io.open_sar(rhone)
    part = raster_io.open_sar(rhone, extent=(gt[0], gt[3] + 60 * gt[5], gt[0] + 50 * gt[1], gt[3]))
    assert (part.width, part.height) == (50, 60)
    assert scene_statistics(part, meta, "auto") == scene_statistics(whole, meta, "auto")


def test_halves_colorized_one_by_one_meet_without_a_seam(rhone, tmp_path):
    """Each part is read with one tile stride of context around it and normalised with the whole
    scene's statistics: on the Rhone scene (smaller than the context) the two halves are the whole
    scene's output to the pixel; without the context the seam jumped by 21 levels (3 elsewhere)."""
    from sar_colorizer.core.modelfile import DEFAULT_MODEL_PATH

    if not DEFAULT_MODEL_PATH.is_file():
        pytest.skip(f"the bundled model is not installed at {DEFAULT_MODEL_PATH}")
    gt = gdal.Open(str(rhone)).GetGeoTransform()
    top, bottom = gt[3], gt[3] + 217 * gt[5]
    colorize(rhone, tmp_path / "whole.tif", ColorizeOptions())
    for name, (left, right) in (("left", (0, 134)), ("right", (134, 268))):
        colorize(rhone, tmp_path / f"{name}.tif",
                 ColorizeOptions(extent=(gt[0] + left * gt[1], bottom, gt[0] + right * gt[1], top)))
    mosaic = np.concatenate([pixels(tmp_path / "left.tif")[0], pixels(tmp_path / "right.tif")[0]], axis=2)
    assert np.array_equal(mosaic, pixels(tmp_path / "whole.tif")[0])
