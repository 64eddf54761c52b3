using System.Text.Json;
using AbandonedCart.Api.Events;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AbandonedCart.Api.Endpoints;

/// <summary><c>POST /v1/events</c>: storefront events into the journeys.</summary>
public static class EventEndpoints
{
    public static IEndpointRouteBuilder MapEvents(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/events", PostEventAsync);
        return app;
    }

    /// <summary>
    /// Validates the whole event before anything is written, so a 400 changes nothing. A repeated event id is
    /// answered 202 like the first time, without storing or signalling again.
    /// </summary>
    public static async Task<Results<Accepted<EventAccepted>, ValidationProblem>> PostEventAsync(
        HttpRequest request, EventInbox inbox, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(inbox);
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, default, cancellationToken);
        }
        catch (JsonException e)
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["body"] = [$"Malformed JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})."] },
                title: "The event is not valid JSON.");
        }

        using (document)
        {
            var reading = EventReader.Read(document.RootElement);
            if (reading.Event is not { } received)
            {
                return TypedResults.ValidationProblem(reading.Errors, title: "The event has invalid fields.");
            }

            if (await inbox.StoreAsync(received, document.RootElement.GetRawText(), cancellationToken))
            {
                await inbox.DeliverAsync(received, cancellationToken);
            }

            return TypedResults.Accepted((string?)null, new EventAccepted(received.Id, "accepted"));
        }
    }
}

public sealed record EventAccepted(string Id, string Status);
