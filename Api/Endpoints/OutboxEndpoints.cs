using System.Globalization;
using System.Net;
using System.Text;
using AbandonedCart.Activities.Storage;
using AbandonedCart.Api.Reports;
using AbandonedCart.Api.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AbandonedCart.Api.Endpoints;

/// <summary>
/// The development outbox: what providers would have received, as a page and as JSON. It shows recipients' addresses
/// and working signed links, so both answer only to the admin key: the JSON as a bearer token, the page (opened in a
/// browser) also as the HTTP Basic password of user <c>admin</c>, like the dashboard.
/// </summary>
public static class OutboxEndpoints
{
    private const int Latest = 200;

    public static IEndpointRouteBuilder MapOutbox(this IEndpointRouteBuilder app)
    {
        app.MapGet("/outbox", PageAsync).AddEndpointFilter(RequireAdminPageAsync).ExcludeFromDescription();
        app.MapGet("/v1/outbox", ListAsync).RequireAdmin().ProducesProblem(StatusCodes.Status401Unauthorized)
            .WithSummary("The latest 200 development outbox rows (admin).");
        return app;
    }

    /// <summary>Bearer or Basic admin key; otherwise a Basic challenge, so a browser asks for the key.</summary>
    private static async ValueTask<object?> RequireAdminPageAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var request = context.HttpContext.Request;
        var key = request.HttpContext.RequestServices.GetRequiredService<IConfiguration>()[AdminAuth.ConfigKey];
        if (AdminAccess.IsBearer(request.Headers.Authorization, key) || AdminAccess.IsBasic(request.Headers.Authorization, key))
        {
            return await next(context);
        }

        context.HttpContext.Response.Headers.WWWAuthenticate = "Basic realm=\"outbox\", charset=\"UTF-8\"";
        return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Sign in as admin with the admin key (Admin:ApiKey).");
    }

    public static async Task<Ok<IReadOnlyList<OutboxRow>>> ListAsync(OutboxStore outbox, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outbox);
        return TypedResults.Ok(await outbox.LatestAsync(Latest, cancellationToken));
    }

    public static async Task<ContentHttpResult> PageAsync(OutboxStore outbox, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outbox);
        var rows = await outbox.LatestAsync(Latest, cancellationToken);
        var html = new StringBuilder("""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Outbox</title>
            <style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse;width:100%}
            td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}
            pre{margin:0;white-space:pre-wrap;font-size:.85rem;color:#555}</style></head><body>
            <h1>Development outbox</h1>
            <p>Messages and audience changes recorded instead of calling a provider (latest 200, newest first).</p>
            <table><thead><tr><th>Time (UTC)</th><th>Channel</th><th>Customer</th><th>Recipient</th><th>Subject / preview</th></tr></thead><tbody>
            """);
        foreach (var row in rows)
        {
            // Everything stored came from storefronts or customers: encode every value.
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{Encode(row.CreatedAt.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture))}</td>")
                .Append(CultureInfo.InvariantCulture, $"<td>{Encode(row.Channel)}{(row.Kind == OutboxKinds.Message ? string.Empty : $" ({Encode(row.Kind)})")}</td>")
                .Append(CultureInfo.InvariantCulture, $"<td>{Encode(row.CustomerId)}</td><td>{Encode(row.Recipient)}</td>")
                .Append(CultureInfo.InvariantCulture, $"<td><strong>{Encode(row.Subject)}</strong><pre>{Encode(Preview(row.Body))}</pre></td></tr>")
                .AppendLine();
        }

        if (rows.Count == 0)
        {
            html.AppendLine("<tr><td colspan=\"5\">Nothing sent yet.</td></tr>");
        }

        html.AppendLine("</tbody></table></body></html>");
        return TypedResults.Content(html.ToString(), "text/html; charset=utf-8");
    }

    private static string Encode(string? value) => WebUtility.HtmlEncode(value ?? string.Empty);

    private static string? Preview(string? body) => body is { Length: > 300 } ? $"{body[..300]}…" : body;
}
