using System.Text.Json;
using AbandonedCart.Activities.Channels;
using AbandonedCart.Activities.Customers;
using AbandonedCart.Activities.Storage;
using AbandonedCart.Api.Events;
using AbandonedCart.Api.Security;
using AbandonedCart.Api.Signals;
using AbandonedCart.Workflows;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
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
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .WithSummary("Replaces the profile; consents listed are granted (true) or withdrawn (false). 409 for an erased customer.");
        customers.MapDelete(string.Empty, DeleteAsync).ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Erases personal data, withdraws consents, removes from audiences, ends the journey.");
        customers.MapGet("/journey", JourneyAsync).ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("The journey's state: stage, next step and when, messages so far, why not sent.");
        return app;
    }

    public static async Task<Results<Ok<CustomerView>, NotFound>> GetAsync(string id, CustomerStore customers, AudienceStore audiences, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(customers);
        ArgumentNullException.ThrowIfNull(audiences);
        if (await customers.DetailsAsync(id, cancellationToken) is not { } details)
        {
            return TypedResults.NotFound();
        }

        var removals = await audiences.RemovalsForCustomerAsync(id, cancellationToken);
        return TypedResults.Ok(CustomerView.From(details) with { AudienceRemovals = [.. removals.Select(AudienceRemovalView.From)] });
    }

    /// <summary>
    /// PUT semantics: properties left out are cleared; consents left out keep their state. An erased customer stays
    /// erased: nothing re-creates their personal data, so a PUT on their id is a 409 and changes nothing.
    /// </summary>
    public static async Task<Results<Ok<CustomerView>, ValidationProblem, ProblemHttpResult>> PutAsync(
        string id,
        HttpRequest request,
        NpgsqlDataSource dataSource,
        CustomerStore customers,
        TimeProvider time,
        IOptions<WebPushEndpointOptions> pushEndpoints,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(customers);
        ArgumentNullException.ThrowIfNull(time);
        var (body, tooLarge) = await SignedBody.ReadLimitedAsync(request, cancellationToken);
        if (tooLarge is not null)
        {
            return tooLarge;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
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

            var values = document.RootElement.ValueKind == JsonValueKind.Object ? EventReader.ReadProfile(fields, pushEndpoints?.Value) : fields.Fail<Dictionary<string, string?>>("body", "Must be a JSON object.");
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

            if (await customers.DetailsAsync(id, cancellationToken) is { ErasedAt: not null })
            {
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status409Conflict,
                    title: "This customer was erased; their personal data is not re-created. Use a new customer id.");
            }

            var now = time.GetUtcNow();
            await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
            await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
            {
                await CustomerStore.EnsureExistAsync(connection, transaction, [id], cancellationToken);
                await CustomerStore.ApplyAsync(connection, transaction, new ProfileChange { CustomerId = id, Values = values, AsOf = now }, cancellationToken);
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
    /// Erasure first, in one transaction (<see cref="CustomerErasure"/>): personal data, consents, stored payloads, and
    /// one queued removal per audience membership, which the Worker retries with the real providers until they confirm
    /// (the answer lists them; <c>GET</c> shows their progress). Then the journey. Each step is idempotent, so a 503
    /// (Temporal unreachable) is answered by repeating the DELETE; by then the journey has no consent and no address
    /// left to send to anyway.
    /// </summary>
    public static async Task<Results<Ok<Erasure>, NotFound, ProblemHttpResult>> DeleteAsync(
        string id, CustomerErasure erasure, AudienceStore audiences, IJourneyRuns runs, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(erasure);
        ArgumentNullException.ThrowIfNull(audiences);
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(time);
        var now = time.GetUtcNow();
        if (await erasure.EraseAsync(id, now, cancellationToken) is null)
        {
            return TypedResults.NotFound();
        }

        var removals = await audiences.RemovalsForCustomerAsync(id, cancellationToken);
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

        return TypedResults.Ok(new Erasure(id, now, ended, removals.Select(r => r.Audience).Distinct(StringComparer.Ordinal).ToArray())
        {
            AudienceRemovals = [.. removals.Select(AudienceRemovalView.From)],
        });
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

    /// <summary>Removals from the ad audiences an erasure queued, with their progress; empty for a customer never erased.</summary>
    public IReadOnlyList<AudienceRemovalView> AudienceRemovals { get; init; } = [];

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

/// <summary>
/// The answer of <c>DELETE /v1/customers/{id}</c>. <see cref="AudiencesLeft"/> names the audiences the customer is
/// being removed from; <see cref="AudienceRemovals"/> says how far each removal is.
/// </summary>
public sealed record Erasure(string Id, DateTimeOffset ErasedAt, bool JourneyEnded, IReadOnlyList<string> AudiencesLeft)
{
    public IReadOnlyList<AudienceRemovalView> AudienceRemovals { get; init; } = [];
}

/// <summary>
/// An erased customer's removal from one audience: <c>pending</c> (retried by the Worker until the provider confirms),
/// <c>confirmed</c>, or <c>no_identifier</c> (a membership from before hashes were kept, whose email was already gone).
/// </summary>
public sealed record AudienceRemovalView(
    string Audience, string Status, DateTimeOffset RequestedAt, int Attempts, DateTimeOffset? NextAttemptAt, string? LastError, DateTimeOffset? ConfirmedAt)
{
    public static AudienceRemovalView From(AudienceRemoval removal)
    {
        ArgumentNullException.ThrowIfNull(removal);
        return new(
            removal.Audience,
            removal.Status,
            Utc(removal.RequestedAt),
            removal.Attempts,
            removal.Status == AudienceRemoval.Pending ? Utc(removal.NextAttemptAt) : null,
            removal.LastError,
            removal.ConfirmedAt is { } confirmed ? Utc(confirmed) : null);
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
