"""Transitional, not a test module: tests/commitments/rendering/test_pdf_fonts.py still imports
`font_problems` from here (the PDF helpers moved to tests/support/pdf.py). Once that file imports
`from tests.support.pdf import font_problems`, delete this package."""

from tests.support.pdf import font_problems

__all__ = ["font_problems"]
