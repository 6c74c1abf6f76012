"""Community stance dashboard: `streamlit run dashboards/app.py` (see README).

Reads a read-only snapshot of the database (or the published copy, setting SENTIMENT_DASHBOARD_DB),
so it never blocks a running flow. All comment text is shown as plain text (never as HTML).
"""

from __future__ import annotations

import os
from pathlib import Path

import altair as alt
import streamlit as st

from sentiment import dashboard as data
from sentiment.brief.charts import COLORS
from sentiment.settings import get_settings

st.set_page_config(page_title="Community stance", layout="wide")


@st.cache_resource(show_spinner="Taking a read-only snapshot of the database…", max_entries=2)
def _snapshot(db: str, mtime: float, published: str | None):
    """One snapshot per database version: a new copy when the file changes."""
    return data.open_snapshot(get_settings())


def _key(settings) -> tuple[str, float, str | None]:
    path = Path(settings.dashboard_db or settings.db)
    mtime = os.path.getmtime(path) if path.exists() else 0.0
    return str(path), mtime, str(settings.dashboard_db) if settings.dashboard_db else None


settings = get_settings()
st.title("Community stance")
try:
    snap = _snapshot(*_key(settings))
except (FileNotFoundError, data.DatabaseBusy) as exc:  # one line within seconds, never a traceback
    st.error(str(exc))
    st.stop()
con = snap.con.cursor()
opts = data.options(con)
st.caption(f"Data as of the last trends refresh ({opts.refreshed_at or 'never'}); reading "
           f"{'a snapshot of ' if snap.copied else ''}{snap.source}.")
if not opts.sources:
    st.warning("No trend data yet: run `sentiment trends` (or `sentiment demo`).")
    st.stop()

with st.sidebar:
    st.header("Filters")
    sources = st.multiselect("Source", opts.sources, default=opts.sources)
    event_names = {row.event_id: f"{row.name} ({row.occurred_at:%Y-%m-%d})" for row in opts.events.itertuples()}
    event_id = st.selectbox("Event", list(event_names), format_func=event_names.get,
                            index=len(event_names) - 1 if event_names else None)
    dates = st.date_input("Date range", value=(opts.first_day, opts.last_day),
                          min_value=opts.first_day, max_value=opts.last_day)
    labels = st.multiselect("Stance", data.all_labels(), default=data.all_labels())

start, end = (dates if isinstance(dates, (tuple, list)) and len(dates) == 2 else (opts.first_day, opts.last_day))
if not sources or not labels:
    st.info("Choose at least one source and one stance.")
    st.stop()

st.subheader("Stance over time")
series = data.stance_over_time(con, sources, start, end, labels)
markers = data.event_markers(con, start, end)
if series.empty:
    st.info("No classified documents in this range.")
else:
    color = alt.Color("label:N", scale=alt.Scale(domain=list(COLORS), range=list(COLORS.values())),
                      title="stance")
    lines = alt.Chart(series).mark_line(strokeWidth=2).encode(
        x=alt.X("day:T", title=None), y=alt.Y("share_7d:Q", axis=alt.Axis(format="%"), title="7-day rolling share"),
        color=color, tooltip=["day:T", "label:N", "n:Q", "n_day:Q", alt.Tooltip("share:Q", format=".0%")])
    dots = alt.Chart(series).mark_circle(opacity=0.35).encode(
        x="day:T", y="share:Q", color=color, size=alt.Size("n_day:Q", legend=None))
    layers = [lines, dots]
    if not markers.empty:
        rules = alt.Chart(markers).mark_rule(strokeDash=[4, 3], color="black").encode(
            x="occurred_at:T", tooltip=["name:N", "occurred_at:T"])
        names = alt.Chart(markers).mark_text(align="left", baseline="top", dx=4, dy=4, angle=0,
                                             fontSize=11, color="black").encode(
            x="occurred_at:T", y=alt.value(0), text="name:N")
        layers += [rules, names]
    st.altair_chart(alt.layer(*layers).properties(height=320), width="stretch")

st.subheader("Before and after the event")
table = data.before_after(con, event_id, sources, labels)
if table.empty:
    st.info("No before/after figures for this event (run `sentiment trends`).")
else:
    if table["too_small"].any():
        st.caption("Rows marked too_small have a window under "
                   f"{settings.min_window_n} documents: read them as hints, not findings.")
    st.caption(" · ".join(f"**{name}**: {meaning}" for name, meaning in data.METHOD_LEGEND.values()))
    st.caption(data.audit_summary(con))
    st.dataframe(table, hide_index=True, width="stretch")

st.subheader("Comments")
rows = data.comments(con, sources, start, end, labels)
st.caption(f"{len(rows)} comments shown (most confident first, at most 500).")
st.dataframe(rows, hide_index=True, width="stretch",
             column_config={"url": st.column_config.LinkColumn("link"),
                            "confidence": st.column_config.NumberColumn(format="%.2f")})
