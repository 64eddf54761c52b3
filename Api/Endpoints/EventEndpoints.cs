using System.Text.Json;
using System.Text.Unicode;
using AbandonedCart.Activities.Channels;
using AbandonedCart.Activities.Storage;
using AbandonedCart.Api.Events;
using AbandonedCart.Api.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AbandonedCart.Api.Endpoints;

/// <summary><c>POST /v1/events</c>: signed storefront events into the durable inbox; <c>GET /v1/inbox</c>: its state.</summary>
public static class EventEndpoints
{
    public static IEndpointRouteBuilder MapEvents(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/events", PostEventsAsync)
            .Accepts<JsonElement>("application/json")
            .Produces<EventAccepted>(StatusCodes.Status202Accepted)
            .Produces<EventAccepted[]>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .WithSummary("One storefront event, or an array of up to 500, signed with X-Signature.");
        app.MapGet("/v1/inbox", InboxAsync).RequireAdmin().WithSummary("How many stored events are pending, delivered and failed.");
        return app;
    }

    /// <summary>
    /// Checks the signature, then the whole body, before anything is written, so a refusal changes nothing. The 202 is
    /// sent once the events are committed; a repeated event id is answered 202 again without being stored twice.
    /// </summary>
    public static async Task<IResult> PostEventsAsync(
        HttpRequest request,
        EventInbox inbox,
        IOptions<WebhookOptions> webhooks,
        TimeProvider time,
        IOptions<WebPushEndpointOptions> pushEndpoints,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(inbox);
        ArgumentNullException.ThrowIfNull(webhooks);
        ArgumentNullException.ThrowIfNull(time);

        // Cheap refusals first: no body is read for a request without a fresh signature header.
        if (!WebhookSignature.TryParse(request.Headers[WebhookSignature.Header], out var timestamp, out var signatures))
        {
            return SignedBody.Unauthorized("Missing or malformed X-Signature header.");
        }

        if (!WebhookSignature.IsFresh(timestamp, time.GetUtcNow()))
        {
            return SignedBody.Unauthorized("The X-Signature timestamp is more than 300 seconds off.");
        }

        var (body, refusal) = await SignedBody.ReadAsync(request, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }

        if (!WebhookSignature.Verify(timestamp, signatures, body, webhooks.Value.SigningSecret))
        {
            return SignedBody.Unauthorized("The X-Signature does not match the body.");
        }

        return await AcceptAsync(body!, inbox, cancellationToken, pushEndpoints: pushEndpoints?.Value);
    }

    /// <summary>
    /// Reads, validates and stores an authenticated body of events (shared with the storefront adapters);
    /// <paramref name="sourceField"/> names the adapter's own field behind an error's path, added to its messages.
    /// </summary>
    public static async Task<IResult> AcceptAsync(
        ReadOnlyMemory<byte> body,
        EventInbox inbox,
        CancellationToken cancellationToken,
        Func<string, string?>? sourceField = null,
        WebPushEndpointOptions? pushEndpoints = null)
    {
        ArgumentNullException.ThrowIfNull(inbox);

        // The JSON reader passes invalid UTF-8 inside strings through; reading or storing such a string later throws.
        if (!Utf8.IsValid(body.Span))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["The body is not valid UTF-8."] }, title: "The body is not valid JSON.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["body"] = [$"Malformed JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})."] },
                title: "The body is not valid JSON.");
        }

        using (document)
        {
            var reading = EventReader.ReadBody(document.RootElement, pushEndpoints);
            if (reading.Errors.Count > 0)
            {
                var errors = sourceField is null
                    ? reading.Errors
                    : reading.Errors.ToDictionary(
                        e => e.Key,
                        e => sourceField(e.Key) is { } source ? [.. e.Value.Select(m => $"{source}: {m}")] : e.Value,
                        StringComparer.Ordinal);
                return TypedResults.ValidationProblem(errors, title: "The event has invalid fields.");
            }

            IReadOnlyList<bool> stored;
            try
            {
                stored = await inbox.StoreAsync(reading.Events, cancellationToken);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UntranslatableCharacter or PostgresErrorCodes.CharacterNotInRepertoire
                or PostgresErrorCodes.InvalidTextRepresentation)
            {
                // Text PostgreSQL cannot store (e.g. a lone surrogate in a property we do not read): nothing was written.
                return TypedResults.ValidationProblem(
                    new Dictionary<string, string[]> { ["body"] = ["The body holds text that cannot be stored (invalid Unicode)."] },
                    title: "The event has invalid fields.");
            }

            var answers = reading.Events.Select((e, i) => new EventAccepted(e.Id, stored[i] ? "accepted" : "duplicate")).ToArray();
            return reading.IsBatch ? TypedResults.Accepted((string?)null, answers) : TypedResults.Accepted((string?)null, answers[0]);
        }
    }

    public static async Task<Ok<InboxState>> InboxAsync(EventStore events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        var counts = await events.CountAsync(cancellationToken);
        return TypedResults.Ok(new InboxState(counts.Pending, counts.Delivered, counts.Failed));
    }
}

/// <summary>The answer for each event: <c>accepted</c> when stored now, <c>duplicate</c> when its id was accepted before.</summary>
public sealed record EventAccepted(string Id, string Status);

/// <summary>The answer of <c>GET /v1/inbox</c>.</summary>
public sealed record InboxState(long Pending, long Delivered, long Failed);
