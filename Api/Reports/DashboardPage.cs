using System.Globalization;
using System.Net;
using System.Text;
using AbandonedCart.Activities.Reports;

namespace AbandonedCart.Api.Reports;

/// <summary>What the dashboard's form shows: the selected journey and the raw parameters as the user typed them.</summary>
public sealed record DashboardForm(string Journey, string? From, string? To, string? AttributionHours, IReadOnlyList<string> Journeys);

/// <summary>
/// The evaluation dashboard as one server-rendered HTML page with inline SVG charts: no script and no CDN, so it
/// works offline and behind strict CSPs. Every value from the request or the database goes through <see cref="E"/>.
/// </summary>
public static class DashboardPage
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Render(DashboardForm form, JourneyReport? report, string? error)
    {
        var html = new StringBuilder();
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Evaluation · ")
            .Append(E(form.Journey)).Append("</title><style>")
            .Append("body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}form{display:flex;gap:1rem;align-items:end;flex-wrap:wrap}")
            .Append("label{display:flex;flex-direction:column;font-size:.85rem}.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(11rem,1fr));gap:.6rem;margin:1rem 0}")
            .Append(".kpi{border:1px solid #ddd;border-radius:6px;padding:.5rem}.kpi span{display:block;font-size:.8rem;color:#555}.kpi strong{font-size:1.3rem}")
            .Append(".charts{display:flex;flex-wrap:wrap;gap:1.5rem}table{border-collapse:collapse;margin:1rem 0}td,th{border-bottom:1px solid #eee;padding:.25rem .6rem;text-align:right}")
            .Append("td:first-child,th:first-child{text-align:left}.error{color:#a00;font-weight:bold}</style></head><body>");
        html.Append("<h1>Journey evaluation</h1>");
        AppendForm(html, form, report);
        if (error is not null)
        {
            html.Append("<p class=\"error\" id=\"error\">").Append(E(error)).Append("</p>");
        }

        if (report is not null)
        {
            AppendReport(html, report);
        }

        html.Append("<p><small>Attribution rules: a purchase is credited to the last message the customer opened or clicked within the window before it; see docs/attribution.md.</small></p></body></html>");
        return html.ToString();
    }

    private static void AppendForm(StringBuilder html, DashboardForm form, JourneyReport? report)
    {
        html.Append("<form method=\"get\" action=\"/dashboard\"><label>Journey<select name=\"journey\" id=\"journey\">");
        foreach (var name in form.Journeys.Contains(form.Journey) ? form.Journeys : [.. form.Journeys, form.Journey])
        {
            html.Append("<option value=\"").Append(E(name)).Append('"').Append(name == form.Journey ? " selected" : string.Empty).Append('>').Append(E(name)).Append("</option>");
        }

        var from = report?.From.ToString("yyyy-MM-dd", Inv) ?? form.From;
        var to = report?.To.ToString("yyyy-MM-dd", Inv) ?? form.To;
        var hours = report?.AttributionHours.ToString(Inv) ?? form.AttributionHours;
        html.Append("</select></label>")
            .Append("<label>Carts entered from<input type=\"date\" name=\"from\" id=\"from\" value=\"").Append(E(from)).Append("\"></label>")
            .Append("<label>until (exclusive)<input type=\"date\" name=\"to\" id=\"to\" value=\"").Append(E(to)).Append("\"></label>")
            .Append("<label>Attribution window (hours)<input type=\"number\" min=\"").Append(ReportQuery.MinHours).Append("\" max=\"").Append(ReportQuery.MaxHours)
            .Append("\" name=\"attributionHours\" id=\"attributionHours\" value=\"").Append(E(hours)).Append("\"></label>")
            .Append("<button type=\"submit\" id=\"apply\">Apply</button></form>");
    }

    private static void AppendReport(StringBuilder html, JourneyReport r)
    {
        var lift = r.Lift;
        html.Append("<div class=\"kpis\">");
        Kpi(html, "carts", "Carts", N(r.Carts));
        Kpi(html, "holdout", "Holdout carts", N(r.Holdout));
        Kpi(html, "recipients", "Recipients", N(r.Recipients));
        Kpi(html, "sent", "Sent", N(r.Sent));
        Kpi(html, "delivered", "Delivered", N(r.Delivered));
        Kpi(html, "opened", "Opened", N(r.Opened));
        Kpi(html, "clicked", "Clicked", N(r.Clicked));
        Kpi(html, "conversions", "Attributed conversions", N(r.Conversions));
        Kpi(html, "revenue", "Attributed revenue", M(r.Revenue));
        Kpi(html, "cart-conversion-rate", "Cart conversion rate", P(r.CartConversionRate));
        Kpi(html, "holdout-conversion-rate", "Holdout conversion rate", P(lift.HoldoutRate));
        Kpi(html, "revenue-per-recipient", "Revenue per recipient", M(r.RevenuePerRecipient));
        Kpi(html, "lift-absolute", "Lift (points, 95% CI)", lift.Measurable ? $"{Pp(lift.Absolute)} [{Pp(lift.AbsoluteLow)}, {Pp(lift.AbsoluteHigh)}]" : "needs both groups");
        Kpi(html, "lift-relative", "Lift (relative, 95% CI)", lift.Relative is { } rel ? $"{P(rel)} [{P(lift.RelativeLow)}, {P(lift.RelativeHigh)}]" : "n/a");
        html.Append("</div><div class=\"charts\">");
        html.Append(Bars("funnel", "Funnel", [("Sent", r.Sent, N(r.Sent)), ("Delivered", r.Delivered, N(r.Delivered)), ("Opened", r.Opened, N(r.Opened)), ("Clicked", r.Clicked, N(r.Clicked)), ("Conversions", r.Conversions, N(r.Conversions))]));
        html.Append(Bars("revenue-by-channel", "Attributed revenue by channel", r.ByChannel.Select(l => (l.Channel ?? "?", (double)l.Revenue, M(l.Revenue))).ToList()));
        html.Append(Bars("revenue-by-step", "Attributed revenue by step", r.BySteps.Select(l => ($"Step {l.Step}", (double)l.Revenue, M(l.Revenue))).ToList()));
        html.Append(Bars("conversions-by-channel", "Conversions by channel", r.ByChannel.Select(l => (l.Channel ?? "?", (double)l.Conversions, N(l.Conversions))).ToList()));
        html.Append("</div>");
        Table(html, "by-channel", "Channel", r.ByChannel.Select(l => (l.Channel ?? "?", l)));
        Table(html, "by-step", "Step", r.BySteps.Select(l => ($"Step {l.Step}", l)));
    }

    private static void Kpi(StringBuilder html, string id, string label, string value) =>
        html.Append("<div class=\"kpi\"><span>").Append(E(label)).Append("</span><strong id=\"kpi-").Append(id).Append("\">").Append(E(value)).Append("</strong></div>");

    private static void Table(StringBuilder html, string id, string head, IEnumerable<(string Label, ReportLine Line)> rows)
    {
        html.Append("<table id=\"").Append(id).Append("\"><tr><th>").Append(E(head)).Append("</th><th>Sent</th><th>Delivered</th><th>Opened</th><th>Clicked</th><th>Conversions</th><th>Revenue</th></tr>");
        foreach (var (label, l) in rows)
        {
            html.Append("<tr><td>").Append(E(label)).Append("</td><td>").Append(N(l.Sent)).Append("</td><td>").Append(N(l.Delivered)).Append("</td><td>").Append(N(l.Opened))
                .Append("</td><td>").Append(N(l.Clicked)).Append("</td><td>").Append(N(l.Conversions)).Append("</td><td>").Append(E(M(l.Revenue))).Append("</td></tr>");
        }

        html.Append("</table>");
    }

    /// <summary>A horizontal bar chart; bars scale to the largest value so small and large journeys both read well.</summary>
    public static string Bars(string id, string title, IReadOnlyList<(string Label, double Value, string Text)> bars)
    {
        const int rowHeight = 26, labelWidth = 110, barWidth = 260, textWidth = 110;
        var height = 30 + (Math.Max(bars.Count, 1) * rowHeight);
        var max = bars.Count == 0 ? 0 : bars.Max(b => b.Value);
        var svg = new StringBuilder();
        svg.Append(Inv, $"<svg id=\"{E(id)}\" role=\"img\" aria-label=\"{E(title)}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{labelWidth + barWidth + textWidth}\" height=\"{height}\">")
            .Append("<title>").Append(E(title)).Append("</title>")
            .Append(Inv, $"<text x=\"0\" y=\"16\" font-size=\"14\" font-weight=\"bold\">{E(title)}</text>");
        for (var i = 0; i < bars.Count; i++)
        {
            var (label, value, text) = bars[i];
            var y = 28 + (i * rowHeight);
            var width = max <= 0 ? 0 : Math.Round(value / max * barWidth, 1);
            svg.Append(Inv, $"<text x=\"0\" y=\"{y + 15}\" font-size=\"12\">{E(label)}</text>")
                .Append(Inv, $"<rect x=\"{labelWidth}\" y=\"{y}\" width=\"{width}\" height=\"18\" fill=\"#3b7dd8\"><title>{E(label)}: {E(text)}</title></rect>")
                .Append(Inv, $"<text x=\"{labelWidth + width + 6}\" y=\"{y + 15}\" font-size=\"12\">{E(text)}</text>");
        }

        if (bars.Count == 0)
        {
            svg.Append("<text x=\"0\" y=\"44\" font-size=\"12\">No sends in this range.</text>");
        }

        return svg.Append("</svg>").ToString();
    }

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? string.Empty);

    private static string N(long value) => value.ToString("N0", Inv);

    private static string M(decimal value) => value.ToString("N2", Inv);

    private static string P(double? value) => value is { } v ? (v * 100).ToString("0.00", Inv) + "%" : "n/a";

    private static string Pp(double value) => (value * 100).ToString("+0.00;-0.00;0.00", Inv) + " pp";
}
