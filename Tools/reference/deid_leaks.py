"""Prints every identifying value of SOURCE that is still in the bytes of OUTPUT (one per line).

Identifying: the string values of person names, dates, times, date-times, AE titles, instance UIDs
(not DICOM's own 1.2.840.10008. ones), private elements, and the attributes PS3.15 Table E.1-1
removes or replaces that hold text (IDs, addresses, institutions, descriptions, comments, …), at
every level of sequences, and the meta header's instance UID; values shorter than 4 characters
are skipped (they occur by chance). Values that legitimately remain are not counted: coded
entries of code sequences (E.1.1 note 10) and equipment facts (manufacturer, model, software), and
values found inside those.
Usage: deid_leaks.py SOURCE.dcm OUTPUT.dcm
"""
import sys

import pydicom

TEXT = {"PN", "DA", "DT", "TM", "AE", "UI", "LO", "SH", "LT", "ST", "UT", "UC", "AS"}
IDENTIFYING_KEYWORDS = {
    "PatientID", "OtherPatientIDs", "IssuerOfPatientID", "AccessionNumber", "StudyID", "InstitutionName",
    "InstitutionAddress", "InstitutionalDepartmentName", "StationName", "DeviceSerialNumber", "StudyDescription",
    "SeriesDescription", "ImageComments", "PatientComments", "AdditionalPatientHistory", "ReasonForStudy",
    "RequestingService", "CurrentPatientLocation", "ProtocolName", "PerformedProcedureStepID",
    "ScheduledProcedureStepID", "RequestedProcedureID", "RequestedProcedureDescription", "MilitaryRank",
    "BranchOfService", "PatientAddress", "PatientTelephoneNumbers", "Occupation", "MedicalRecordLocator",
    "DerivationDescription", "StudyComments", "PatientAge", "PatientSex",
}
KEPT = {"CodeValue", "CodeMeaning", "CodingSchemeDesignator", "Manufacturer", "ManufacturerModelName",
        "SoftwareVersions", "SpecificCharacterSet"}

source = pydicom.dcmread(sys.argv[1], force=True)
output = open(sys.argv[2], "rb").read()
codes = {str(e.value) for e in source.iterall() if e.keyword in KEPT}
values = set()
for element in source.iterall():
    if element.VR not in TEXT or element.keyword in KEPT or element.value in (None, ""):
        continue
    if not (element.tag.is_private or element.VR in {"PN", "DA", "DT", "TM", "AE", "UI"} or element.keyword in IDENTIFYING_KEYWORDS):
        continue
    items = element.value if element.VM > 1 else [element.value]
    for item in items:
        text = str(item).strip()
        if element.VR == "UI" and text.startswith("1.2.840.10008."):
            continue
        if len(text) >= 4 and not any(text in kept for kept in codes):  # e.g. TOSHIBA in TOSHIBA_MEC
            values.add(text)
if "MediaStorageSOPInstanceUID" in source.file_meta:
    values.add(str(source.file_meta.MediaStorageSOPInstanceUID))
for value in sorted(values):
    if value.encode("utf-8", "replace") in output:
        print(value)
