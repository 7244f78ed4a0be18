"""The ABF 1.8 file header: byte offsets and types of the fields vlab writes.

Layout of the 6144-byte "new" (version >= 1.6) header of Axon Binary Format 1.x
as published by Axon Instruments / Molecular Devices in ``ABFHEADR.H`` (ABF File
Support Pack), little-endian, packed. Only the fields vlab sets are listed;
every other byte is zero. Offsets were checked against pyABF's and neo's ABF1
readers, which read the same fields at the same places.

Units inside the header: times in microseconds (``fADCSampleInterval``,
``fSynchTimeUnit``), seconds (``fEpisodeStartToStart``), durations of epochs in
samples; signal values in the channel's display unit (mV, pA, ...).
"""

from __future__ import annotations

import struct
from typing import Any

__all__ = [
    "ABF_ADC_COUNT",
    "ABF_BLOCK",
    "ABF_EPOCH_COUNT",
    "ABF_HEADER_SIZE",
    "ABF_VERSION",
    "FIELDS",
    "pack_header",
]

ABF_HEADER_SIZE = 6144
ABF_BLOCK = 512  # sections start on 512-byte blocks
ABF_VERSION = 1.83
ABF_ADC_COUNT = 16
ABF_DAC_COUNT = 4
ABF_EPOCH_COUNT = 10  # epochs per waveform DAC (two waveform DACs)

#: name -> (byte offset, struct format without byte order).
FIELDS: dict[str, tuple[int, str]] = {
    # group 1: file id and size
    "lFileSignature": (0, "4s"),
    "fFileVersionNumber": (4, "f"),
    "nOperationMode": (8, "h"),
    "lActualAcqLength": (10, "i"),
    "lActualEpisodes": (16, "i"),
    "lFileStartDate": (20, "i"),
    "lFileStartTime": (24, "i"),
    "fHeaderVersionNumber": (32, "f"),
    "nFileType": (36, "h"),
    # group 2: file structure (pointers are in 512-byte blocks)
    "lDataSectionPtr": (40, "i"),
    "lSynchArrayPtr": (92, "i"),
    "lSynchArraySize": (96, "i"),
    "nDataFormat": (100, "h"),
    # group 3: trial hierarchy
    "nADCNumChannels": (120, "h"),
    "fADCSampleInterval": (122, "f"),
    "fSynchTimeUnit": (130, "f"),
    "fSecondsPerRun": (134, "f"),
    "lNumSamplesPerEpisode": (138, "i"),
    "lPreTriggerSamples": (142, "i"),
    "lEpisodesPerRun": (146, "i"),
    "lRunsPerTrial": (150, "i"),
    "lNumberOfTrials": (154, "i"),
    "fEpisodeStartToStart": (178, "f"),
    "fRunStartToStart": (182, "f"),
    "fTrialStartToStart": (186, "f"),
    # group 4: display
    "nDataDisplayMode": (206, "h"),
    "nMultiColor": (230, "h"),
    "lSamplesPerTrace": (218, "i"),
    "lStartDisplayNum": (222, "i"),
    "lFinishDisplayNum": (226, "i"),
    # group 5: hardware
    "fADCRange": (244, "f"),
    "fDACRange": (248, "f"),
    "lADCResolution": (252, "i"),
    "lDACResolution": (256, "i"),
    # group 6: environment
    "nExperimentType": (260, "h"),
    "sCreatorInfo": (294, "16s"),
    "nFileStartMillisecs": (366, "h"),
    # group 7: multi-channel information
    "nADCPtoLChannelMap": (378, "16h"),
    "nADCSamplingSeq": (410, "16h"),
    "sADCChannelName": (442, "10s" * 16),
    "sADCUnits": (602, "8s" * 16),
    "fADCProgrammableGain": (730, "16f"),
    "fADCDisplayAmplification": (794, "16f"),
    "fADCDisplayOffset": (858, "16f"),
    "fInstrumentScaleFactor": (922, "16f"),
    "fInstrumentOffset": (986, "16f"),
    "fSignalGain": (1050, "16f"),
    "fSignalOffset": (1114, "16f"),
    "fSignalLowpassFilter": (1178, "16f"),
    "fSignalHighpassFilter": (1242, "16f"),
    "sDACChannelName": (1306, "10s" * 4),
    "sDACChannelUnits": (1346, "8s" * 4),
    "fDACScaleFactor": (1378, "4f"),
    "fDACHoldingLevel": (1394, "4f"),
    # group 9: epoch waveform
    "nActiveDACChannel": (1440, "h"),
    # group 16: miscellaneous
    "fAverageWeighting": (2022, "f"),
    "lHeaderSize": (2034, "i"),
    "dFileDuration": (2038, "d"),
    # extended group 7
    "fDACCalibrationFactor": (2074, "4f"),
    "fDACCalibrationOffset": (2090, "4f"),
    # extended group 9: epoch table, 2 DACs x 10 epochs
    "nWaveformEnable": (2296, "2h"),
    "nWaveformSource": (2300, "2h"),
    "nInterEpisodeLevel": (2304, "2h"),
    "nEpochType": (2308, "20h"),
    "fEpochInitLevel": (2348, "20f"),
    "fEpochLevelInc": (2428, "20f"),
    "lEpochInitDuration": (2508, "20i"),
    "lEpochDurationInc": (2588, "20i"),
    # extended group 6: environment
    "nTelegraphEnable": (4512, "16h"),
    "fTelegraphAdditGain": (4576, "16f"),
    "fTelegraphFilter": (4640, "16f"),
    "nTelegraphMode": (4768, "16h"),
    "sProtocolPath": (4898, "256s"),
    "sFileComment": (5154, "128s"),
    "uFileGUID": (5282, "16s"),
    "fInstrumentHoldingLevel": (5298, "4f"),
    # group 18: creator version
    "nCreatorMajorVersion": (5798, "h"),
    "nCreatorMinorVersion": (5800, "h"),
    "nCreatorBugfixVersion": (5802, "h"),
    "nCreatorBuildVersion": (5804, "h"),
}


def pack_header(values: dict[str, Any]) -> bytes:
    """The 6144-byte header with ``values`` at their offsets and zeros elsewhere.

    Array fields take a sequence; text fields take ``bytes`` (space padded by the
    caller where ABF expects it).

    Raises
    ------
    KeyError
        For a field not in :data:`FIELDS`.
    """
    buf = bytearray(ABF_HEADER_SIZE)
    for name, value in values.items():
        offset, fmt = FIELDS[name]
        args = list(value) if isinstance(value, (list, tuple)) else [value]
        struct.pack_into("<" + fmt, buf, offset, *args)
    return bytes(buf)
