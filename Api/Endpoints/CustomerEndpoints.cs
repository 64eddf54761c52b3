using System.Text.Json;
using AbandonedCart.Activities.Channels;
using AbandonedCart.Activities.Customers;
using AbandonedCart.Activities.Storage;
using AbandonedCart.Api.Events;
using AbandonedCart.Api.Security;
using AbandonedCart.Api.Signals;
using AbandonedCart.Workflows;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using Temporalio.Exceptions;

namespace AbandonedCart.Api.Endpoints;

/// <summary>
/// <c>/v1/customers/{id}</c> (admin): the profile with consents and their history, replacing it, erasing the customer,
/// and the journey's live state.
/// </summary>
public static class CustomerEndpoints
{
    public static IEndpointRouteBuilder MapCustomers(this IEndpointRouteBuilder app)
    {
        var customers = app.MapGroup("/v1/customers/{id}").RequireAdmin().ProducesProblem(StatusCodes.Status401Unauthorized);
        customers.MapGet(string.Empty, GetAsync).WithSummary("The profile, current consents and consent history.");
        customers.MapPut(string.Empty, PutAsync).Accepts<JsonElement>("application/json").ProducesValidationProblem()
            .WithSummary("Replaces the profile; consents listed are granted (true) or withdrawn (false).");
        customers.MapDelete(string.Empty, DeleteAsync).ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Erases personal data, withdraws consents, removes from audiences, ends the journey.");
        customers.MapGet("/journey", JourneyAsync).ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("The journey's state: stage, next step and when, messages so far, why not sent.");
        return app;
    }

    public static async Task<Results<Ok<CustomerView>, NotFound>> GetAsync(string id, CustomerStore customers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(customers);
        return await customers.DetailsAsync(id, cancellationToken) is { } details ? TypedResults.Ok(CustomerView.From(details)) : TypedResults.NotFound();
    }

    /// <summary>PUT semantics: properties left out are cleared; consents left out keep their state.</summary>
    public static async Task<Results<Ok<CustomerView>, ValidationProblem>> PutAsync(
        string id, HttpRequest request, NpgsqlDataSource dataSource, CustomerStore customers, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(customers);
        ArgumentNullException.ThrowIfNull(time);
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, default, cancellationToken);
        }
        catch (JsonException)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["Malformed JSON."] });
        }

        using (document)
        {
            var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            var fields = new JsonFields(document.RootElement, string.Empty, errors);
            if (id.Length > 200)
            {
                fields.Fail<object>("id", "At most 200 characters.");
            }

            var values = document.RootElement.ValueKind == JsonValueKind.Object ? EventReader.ReadProfile(fields) : fields.Fail<Dictionary<string, string?>>("body", "Must be a JSON object.");
            List<(string Category, bool Granted)>? consents;
            try
            {
                consents = ReadConsents(document.RootElement, fields);
            }
            catch (InvalidOperationException)
            {
                // A category name that is not valid UTF-8: the JSON reader passes it through, reading it throws.
                consents = fields.Fail<List<(string, bool)>>("consents", "Category names must be valid Unicode text.");
            }

            if (errors.Count > 0 || values is null || consents is null)
            {
                return TypedResults.ValidationProblem(errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal));
            }

            foreach (var property in ProfileProperties.All)
            {
                values.TryAdd(property, null);
            }

            var now = time.GetUtcNow();
            await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
            await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
            {
                await CustomerStore.EnsureExistAsync(connection, transaction, [id], cancellationToken);
                await CustomerStore.ApplyAsync(connection, transaction, new ProfileChange { CustomerId = id, Values = values }, cancellationToken);
                foreach (var (category, granted) in consents)
                {
                    await CustomerStore.SetConsentAsync(connection, transaction, id, new ConsentChange(category, granted, now, "api"), cancellationToken);
                }

                await transaction.CommitAsync(cancellationToken);
            }

            return TypedResults.Ok(CustomerView.From((await customers.DetailsAsync(id, cancellationToken))!));
        }
    }

    /// <summary>
    /// Audiences first (removing a customer needs the email erasure deletes), then erasure, then the journey. Each step
    /// is idempotent, so a 503 (Temporal unreachable) is answered by repeating the DELETE; by then the journey has no
    /// consent and no address left to send to anyway.
    /// </summary>
    public static async Task<Results<Ok<Erasure>, NotFound, ProblemHttpResult>> DeleteAsync(
        string id, CustomerStore customers, EventStore events, JourneySignalStore journeySignals, AudienceStore audiences, AudienceSenders senders,
        IJourneyRuns runs, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(customers);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(journeySignals);
        ArgumentNullException.ThrowIfNull(audiences);
        ArgumentNullException.ThrowIfNull(senders);
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(time);
        if (await customers.FindAsync(id, cancellationToken) is not { } profile)
        {
            return TypedResults.NotFound();
        }

        var now = time.GetUtcNow();
        var memberships = await audiences.ActiveForCustomerAsync(id, cancellationToken);
        foreach (var membership in memberships)
        {
            await senders.For(membership.Audience).RemoveAsync(id, profile.Email ?? string.Empty, membership.IdempotencyKey, cancellationToken);
            await audiences.RecordRemovedAsync(membership.Audience, membership.IdempotencyKey, now, cancellationToken);
        }

        await customers.EraseAsync(id, now, cancellationToken);
        await events.EraseCustomerAsync(id, cancellationToken);
        await journeySignals.EraseCustomerAsync(id, cancellationToken);
        bool ended;
        try
        {
            ended = await runs.EndAsync(id, "customer erased", cancellationToken);
        }
        catch (RpcException e) when (e.Code is not RpcException.StatusCode.InvalidArgument)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "Personal data erased and consents withdrawn; the journey could not be ended yet (Temporal unreachable). Repeat the DELETE.");
        }

        return TypedResults.Ok(new Erasure(id, now, ended, memberships.Select(m => m.Audience).Distinct(StringComparer.Ordinal).ToArray()));
    }

    public static async Task<Results<Ok<AbandonedCartWorkflow.JourneyStatus>, NotFound, ProblemHttpResult>> JourneyAsync(
        string id, IJourneyRuns runs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runs);
        try
        {
            return await runs.StatusAsync(id, cancellationToken) is { } status ? TypedResults.Ok(status) : TypedResults.NotFound();
        }
        catch (RpcException e) when (e.Code is RpcException.StatusCode.Unavailable or RpcException.StatusCode.DeadlineExceeded)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Temporal is unreachable; try again.");
        }
    }

    private static List<(string Category, bool Granted)>? ReadConsents(JsonElement root, JsonFields fields)
    {
        var consents = new List<(string, bool)>();
        if (root.ValueKind != JsonValueKind.Object || !fields.Has("consents"))
        {
            return consents;
        }

        var given = fields.Get("consents");
        if (given.ValueKind != JsonValueKind.Object)
        {
            return fields.Fail<List<(string, bool)>>("consents", "Must be an object such as {\"email\": true, \"sms\": false}.");
        }

        var inner = fields.Nested(given, "consents");
        var valid = true;
        foreach (var property in given.EnumerateObject())
        {
            if (!Consents.All.Contains(property.Name, StringComparer.Ordinal))
            {
                inner.Fail<object>(property.Name, $"Unknown consent category; expected one of: {string.Join(", ", Consents.All)}.");
                valid = false;
            }
            else if (inner.RequiredBool(property.Name) is { } granted)
            {
                consents.Add((property.Name, granted));
            }
            else
            {
                valid = false;
            }
        }

        return valid ? consents : null;
    }
}

/// <summary>The answer of <c>GET</c>/<c>PUT /v1/customers/{id}</c>; properties are named as in <c>customer_updated</c>.</summary>
public sealed record CustomerView
{
    public required string Id { get; init; }

    public string? Email { get; init; }

    public string? Phone { get; init; }

    public string? TimeZone { get; init; }

    public PushTokens PushTokens { get; init; } = new(null, null, null);

    public WebPushSubscription? WebPush { get; init; }

    public string? LineUserId { get; init; }

    public DateTimeOffset? ErasedAt { get; init; }

    public IReadOnlyList<ConsentChange> Consents { get; init; } = [];

    public IReadOnlyList<ConsentChange> ConsentHistory { get; init; } = [];

    public static CustomerView From(CustomerDetails details)
    {
        ArgumentNullException.ThrowIfNull(details);
        var p = details.Profile;
        return new()
        {
            Id = p.Id,
            Email = p.Email,
            Phone = p.Phone,
            TimeZone = p.TimeZone,
            PushTokens = new(p.FcmToken, p.ApnsToken, p.HuaweiToken),
            WebPush = p.WebPush,
            LineUserId = p.LineUserId,
            ErasedAt = details.ErasedAt,
            Consents = details.Consents,
            ConsentHistory = details.History,
        };
    }
}

public sealed record PushTokens(string? Fcm, string? Apns, string? Huawei);

/// <summary>The answer of <c>DELETE /v1/customers/{id}</c>.</summary>
public sealed record Erasure(string Id, DateTimeOffset ErasedAt, bool JourneyEnded, IReadOnlyList<string> AudiencesLeft);
