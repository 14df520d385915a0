"""Shared fixtures. QGIS starts once per session, headless, on a throw-away profile,
and only for the tests that ask for it: the core tests never import qgis."""

import os
import sys
import tempfile

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def qgis_app():
    """A QgsApplication without GUI and with Processing initialised."""
    os.environ.setdefault("QGIS_CUSTOM_CONFIG_PATH", tempfile.mkdtemp(prefix="mineland-qgis-profile-"))
    from qgis.core import QgsApplication

    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    sys.path.append("/usr/share/qgis/python/plugins")
    from processing.core.Processing import Processing

    Processing.initialize()
    yield app


@pytest.fixture(scope="session")
def provider(qgis_app):
    """The MineLand provider, registered once for the whole session."""
    from qgis.core import QgsApplication

    from mineland.processing_provider.provider import MineLandProvider

    provider = MineLandProvider()
    assert QgsApplication.processingRegistry().addProvider(provider)
    yield provider
    QgsApplication.processingRegistry().removeProvider(provider)


@pytest.fixture
def run(provider):
    """processing.run with a fresh context and feedback; returns the results dict."""
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    def _run(algorithm_id, parameters, feedback=None):
        context = QgsProcessingContext()
        return processing.run(algorithm_id, parameters, context=context, feedback=feedback or QgsProcessingFeedback())

    return _run


@pytest.fixture
def recording_feedback(qgis_app):
    """A factory of QgsProcessingFeedback objects that keep the warnings and the info lines pushed to them."""
    from qgis.core import QgsProcessingFeedback

    class Recorder(QgsProcessingFeedback):
        def __init__(self):
            super().__init__()
            self.warnings = []
            self.infos = []

        def pushWarning(self, text):  # noqa: N802 (QGIS's name)
            self.warnings.append(text)
            super().pushWarning(text)

        def pushInfo(self, text):  # noqa: N802 (QGIS's name)
            self.infos.append(text)
            super().pushInfo(text)

    return Recorder
