"""A second analyst corpus (another company, another industry) for open answers and comparisons.

An analyst report and a channel check on a made-up chip-packaging company. The report states
weaknesses, a segment table, bull and bear cases; the channel check qualifies the report's view of
the company's competitive position and gives a different fiscal 2024 revenue. Tests derive what
they expect from the sentences below, never from the system's output.
"""

from __future__ import annotations

REPORT_FILE = "veyra-analyst-report.txt"
CHECK_FILE = "veyra-channel-check.txt"

LEAD_NARROWING = "This lead is narrowing: two foundries have opened competing packaging lines in Arizona and Malaysia."
CONCENTRATION = "Customer concentration is a weakness, with the top three customers accounting for 58% of revenue."
PRICE_DECLINE = "Wire-bond prices have fallen roughly 6% per year as capacity expands."
YIELD_LEAD = "Veyra's process yields lead the industry."
BEAR = (
    "In the bear case, the foundries win 30% of new packaging orders by 2026.",
    "Test services stall as customers insource testing.",
    "Gross margins slip to 33-35% as pricing weakens.",
    "The stock trades at 4-5x forward sales.",
)
BULL = (
    "In the bull case, accelerator demand keeps packaging capacity sold out through 2027.",
    "Revenue reaches $3.4 billion by 2027 with gross margins of 45-47%.",
    "The stock re-rates to 9-10x forward sales.",
)
DURABLE = "Veyra's packaging yields remain a durable advantage that the new foundry lines have not matched."
SECOND_SOURCE = "Two buyers are qualifying a second source for test services."
PENANG_LATE = "The main risk we heard is capacity: the Penang plant is running three months late."
ROWS = {  # product line -> (revenue, share, cyclical risk)
    "Stacked packaging": ("~$1.3B", "62%", "High"),
    "Test services": ("~$0.5B", "24%", "Low"),
    "Legacy wire-bond": ("~$0.3B", "14%", "Medium"),
}

REPORT = f"""Veyra Semiconductor: Advanced Packaging in an AI Buildout
Executive Summary
Veyra Semiconductor (VYRA) supplies advanced chip packaging to accelerator designers. With fiscal 2024 revenue of approximately $2.1 billion, Veyra has grown on demand for stacked memory packaging.
Revenue Mix
| Product Line | FY2024 Revenue | % of Total | Cyclical Risk |
|---|---|---|---|
| Stacked packaging | ~$1.3B | 62% | High — tied to accelerator orders |
| Test services | ~$0.5B | 24% | Low — recurring contracts |
| Legacy wire-bond | ~$0.3B | 14% | Medium — price competition |
Competitive Position
{YIELD_LEAD} {LEAD_NARROWING} {CONCENTRATION} {PRICE_DECLINE}
Margin Profile
Gross margins sit in the 38-41% range. Management targets 44% gross margin by FY2026 as the new Penang plant ramps.
Bull Case
{" ".join(BULL)}
Bear Case
{" ".join(BEAR)}
Verdict
We rate Veyra a hold. The packaging franchise is strong, but concentration and foundry entry cap the multiple.
"""

CHECK = f"""Veyra Channel Check: Customers Stay Loyal
Findings
Our conversations with eight packaging buyers suggest Veyra's position is stronger than consensus assumes. {DURABLE} Buyers expect to keep Veyra as primary supplier through 2026. Veyra reported fiscal 2024 revenue of $2.25 billion including its engineering services.
Risks
{PENANG_LATE} {SECOND_SOURCE}
"""

DOCUMENTS = {REPORT_FILE: REPORT, CHECK_FILE: CHECK}
MANIFEST = {
    "documents": {
        REPORT_FILE: {"title": "Veyra Semiconductor: Advanced Packaging in an AI Buildout", "publisher": "Northgate Research",
                      "kind": "analyst report"},
        CHECK_FILE: {"title": "Veyra Channel Check: Customers Stay Loyal", "publisher": None, "kind": "channel check"},
    }
}
