"""Documents drafted from a company's hearing answers (issue 19): the CSIRT checklist, the CSIRT
description, the incident response flow and the IT-BCP. Templates in content/drafts/; `fill` puts
the answers in, one module per document lays it out, `formats` writes Markdown, DOCX and XLSX."""
