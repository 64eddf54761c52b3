using System.Text.Json;
using System.Text.Unicode;
using AbandonedCart.Activities.Channels;
using AbandonedCart.Api.Security;
using AbandonedCart.Api.Webhooks;
using Microsoft.AspNetCore.Http.HttpResults;

// In the framework's namespace (as ActivitiesServices is), so Program.cs maps it without a using.
namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Provider callbacks: SendGrid's signed Event Webhook, Twilio's status callback and inbound SMS. A request whose
/// signature does not verify is answered 401 before anything is read into the database.
/// </summary>
public static class ProviderWebhookEndpoints
{
    /// <summary>SendGrid signs with the current time; older requests are replays.</summary>
    public static readonly TimeSpan SendGridTolerance = TimeSpan.FromMinutes(10);

    private const string EmptyTwiml = """<?xml version="1.0" encoding="UTF-8"?><Response></Response>""";

    public static IEndpointRouteBuilder MapProviderWebhooks(this IEndpointRouteBuilder app)
    {
        app.MapPost("/webhooks/sendgrid/events", SendGridEventsAsync).ExcludeFromDescription();
        app.MapPost("/webhooks/twilio/status", TwilioStatusAsync).ExcludeFromDescription();
        app.MapPost("/webhooks/twilio/inbound", TwilioInboundAsync).ExcludeFromDescription();
        return app;
    }

    public static async Task<Results<Ok, UnauthorizedHttpResult, NotFound, ProblemHttpResult>> SendGridEventsAsync(
        HttpRequest request, WebhookVerifiers verifiers, SendGridEvents events, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(verifiers);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(time);
        if (verifiers.SendGrid is not { } verifier)
        {
            return TypedResults.NotFound();
        }

        // The signature covers the exact bytes, so the body is read raw (at most 1 MiB) before any parsing.
        var (body, tooLarge) = await SignedBody.ReadLimitedAsync(request, cancellationToken);
        if (tooLarge is not null)
        {
            return tooLarge;
        }

        var timestamp = request.Headers[SendGridEventWebhookVerifier.TimestampHeader].ToString();
        if (!SendGridEventWebhookVerifier.IsRecent(timestamp, time.GetUtcNow(), SendGridTolerance)
            || !verifier.Verify(body, request.Headers[SendGridEventWebhookVerifier.SignatureHeader], timestamp))
        {
            return TypedResults.Unauthorized();
        }

        List<JsonElement> batch;
        try
        {
            using var document = JsonDocument.Parse(body);
            batch = document.RootElement.ValueKind == JsonValueKind.Array
                ? [.. document.RootElement.EnumerateArray().Select(e => e.Clone())]
                : throw new JsonException("not an array");
        }
        catch (JsonException)
        {
            return TypedResults.Problem("The Event Webhook body must be a JSON array of events.", statusCode: StatusCodes.Status400BadRequest);
        }

        // The whole batch is checked before any event is applied, so a refused batch changes nothing.
        if (!Utf8.IsValid(body) || !batch.All(SendGridEvents.IsReadable))
        {
            return TypedResults.Problem("Every event must be a JSON object whose text is valid Unicode without NUL characters.", statusCode: StatusCodes.Status400BadRequest);
        }

        foreach (var item in batch)
        {
            await events.ApplyAsync(item, cancellationToken);
        }

        return TypedResults.Ok();
    }

    public static Task<Results<Ok, UnauthorizedHttpResult, NotFound, ProblemHttpResult>> TwilioStatusAsync(
        HttpRequest request, WebhookVerifiers verifiers, TwilioCallbacks twilio, CancellationToken cancellationToken) =>
        VerifiedTwilioAsync(request, verifiers, async form =>
        {
            await twilio.StatusAsync(form, cancellationToken);
            return TypedResults.Ok();
        }, cancellationToken);

    public static Task<Results<ContentHttpResult, UnauthorizedHttpResult, NotFound, ProblemHttpResult>> TwilioInboundAsync(
        HttpRequest request, WebhookVerifiers verifiers, TwilioCallbacks twilio, CancellationToken cancellationToken) =>
        VerifiedTwilioAsync(request, verifiers, async form =>
        {
            await twilio.InboundAsync(form, cancellationToken);

            // An empty TwiML answer: no auto-reply beyond the one Twilio's opt-out handling sends.
            return TypedResults.Content(EmptyTwiml, "text/xml");
        }, cancellationToken);

    /// <summary>
    /// Runs <paramref name="handle"/> on the request's parameters when <c>X-Twilio-Signature</c> signs it for our public
    /// URL of this endpoint: a form body (the parameters are signed), or a JSON object body whose SHA-256 the signed URL
    /// carries as <c>bodySHA256</c> (its top-level string, number and boolean fields become the parameters).
    /// </summary>
    private static async Task<Results<T, UnauthorizedHttpResult, NotFound, ProblemHttpResult>> VerifiedTwilioAsync<T>(
        HttpRequest request, WebhookVerifiers verifiers, Func<Dictionary<string, string>, Task<T>> handle, CancellationToken cancellationToken)
        where T : IResult
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(verifiers);
        if (verifiers.Twilio is not { } verifier)
        {
            return TypedResults.NotFound();
        }

        // Twilio signs the URL it called, which is the public one, not what a proxy forwards to us.
        var url = $"{verifiers.PublicBaseUrl}{request.Path}{request.QueryString}";

        // At most 1 MiB is read, whatever the body's type, before the signature is checked.
        var (raw, tooLarge) = await SignedBody.ReadLimitedAsync(request, cancellationToken);
        if (tooLarge is not null)
        {
            return tooLarge;
        }

        request.Body = new MemoryStream(raw!, writable: false);
        if (request.HasFormContentType)
        {
            Dictionary<string, string> form;
            try
            {
                form = (await request.ReadFormAsync(cancellationToken)).ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal);
            }
            catch (InvalidDataException e)
            {
                // Over the form reader's limits (1,024 fields, 2 KiB keys) or characters it refuses: Twilio sends neither.
                return TypedResults.Problem($"The form body cannot be read: {e.Message}", statusCode: StatusCodes.Status400BadRequest);
            }

            if (form.Values.Any(v => v.Contains('\0', StringComparison.Ordinal)))
            {
                // PostgreSQL cannot store NUL, and no phone number, SID or keyword holds one.
                return TypedResults.Problem("Form values must not contain NUL characters.", statusCode: StatusCodes.Status400BadRequest);
            }

            return !verifier.Verify(url, form, request.Headers[TwilioSignatureVerifier.Header]) ? TypedResults.Unauthorized()
                : HasLongSid(form) ? LongSid() : await handle(form);
        }

        if (!request.HasJsonContentType() || TwilioSignatureVerifier.BodyHash(url) is null)
        {
            return TypedResults.Unauthorized();
        }

        // The signature covers the exact bytes (through their hash), so the body is checked raw before any parsing.
        var body = raw.AsMemory();
        if (!verifier.VerifyBody(url, body.Span, request.Headers[TwilioSignatureVerifier.Header]))
        {
            return TypedResults.Unauthorized();
        }

        return JsonParameters(body) is { } parameters
            ? HasLongSid(parameters) ? LongSid() : await handle(parameters)
            : TypedResults.Problem("A Twilio webhook with a JSON body must send a JSON object whose text is valid Unicode without NUL characters.", statusCode: StatusCodes.Status400BadRequest);
    }

    // Twilio's SIDs are 34 characters; the SID becomes a unique index key, which PostgreSQL limits to about 2,700 bytes.
    private static bool HasLongSid(Dictionary<string, string> parameters) => parameters.GetValueOrDefault("MessageSid") is { Length: > 64 };

    private static ProblemHttpResult LongSid() =>
        TypedResults.Problem("MessageSid must be at most 64 characters.", statusCode: StatusCodes.Status400BadRequest);

    private static Dictionary<string, string>? JsonParameters(ReadOnlyMemory<byte> body)
    {
        if (!Utf8.IsValid(body.Span))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)
                {
                    parameters[property.Name] = property.Value.ValueKind switch
                    {
                        JsonValueKind.True => "true",
                        JsonValueKind.False => "false",
                        _ => property.Value.ToString(),
                    };
                }
            }

            return parameters.Values.Any(v => v.Contains('\0', StringComparison.Ordinal)) ? null : parameters;
        }
        catch (JsonException)
        {
            return null;
        }
        catch (InvalidOperationException)
        {
            // A lone surrogate escape (\ud800): valid JSON, but not text.
            return null;
        }
    }
}
