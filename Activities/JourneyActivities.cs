using System.Text.Json;
using AbandonedCart.Activities.Channels;
using AbandonedCart.Activities.Customers;
using AbandonedCart.Activities.Storage;
using AbandonedCart.Activities.Tracking;
using AbandonedCart.Workflows;
using AbandonedCart.Workflows.Decisions;
using Microsoft.Extensions.Logging;
using Temporalio.Activities;
using Temporalio.Exceptions;

namespace AbandonedCart.Activities;

/// <summary>
/// The journeys' activities against PostgreSQL and the channel senders. Everything a journey decides from data
/// (eligibility, switch, holdout share, send history) is read here at send time, so consent withdrawn while a
/// journey waits takes effect before its next send. Transient database errors are left to Temporal's retries;
/// permanent problems, data PostgreSQL refuses included (<see cref="PermanentFailure"/>), fail the activity as non-retryable.
/// </summary>
public sealed class JourneyActivities(
    CustomerStore customers,
    MessageStore messages,
    JourneyStore journeys,
    AudienceStore audiences,
    ChannelSenders channelSenders,
    AudienceSenders audienceSenders,
    TrackingTokens tracking,
    ILogger<JourneyActivities> logger,
    TimeProvider time,
    ISendObserver? observer = null) : IJourneyActivities
{
    /// <summary>
    /// A pending message row older than this belongs to an attempt that died (a crashed worker), and a new attempt
    /// may take it over. Longer than any send's start-to-close timeout, so a slow live attempt is never doubled.
    /// </summary>
    public static readonly TimeSpan SendLease = TimeSpan.FromMinutes(5);

    /// <summary>Retargeting adds a customer only when they were not added in this period.</summary>
    public static readonly TimeSpan AudienceCooldown = TimeSpan.FromDays(14);

    private const string NotInAudience = "not_in_audience";

    private static readonly HashSet<string> DecisionStatuses = ["deferred", "capped", "holdout", "stopped"];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static CancellationToken Cancellation =>
        ActivityExecutionContext.HasCurrent ? ActivityExecutionContext.Current.CancellationToken : CancellationToken.None;

    [Activity]
    public Task<SendContext> GetSendContextAsync(SendContextRequest request) => Permanent(async () =>
    {
        ArgumentNullException.ThrowIfNull(request);
        var cancellationToken = Cancellation;
        var customer = await customers.FindAsync(request.CustomerId, cancellationToken);
        return await ReadSendContextAsync(request.CustomerId, request.Journey, customer, cancellationToken);
    });

    [Activity]
    public Task<SendResult> SendMessageAsync(SendRequest request) => Permanent(() => SendAsync(request));

    [Activity]
    public Task RecordEntryAsync(JourneyEntry entry) => Permanent(() => journeys.RecordEntryAsync(entry, Cancellation));

    [Activity]
    public Task RecordOutcomeAsync(JourneyOutcome outcome) => Permanent(() => journeys.RecordOutcomeAsync(outcome, Cancellation));

    [Activity]
    public Task RecordDecisionAsync(DecisionRecord record) => Permanent(() => RecordDecisionCoreAsync(record));

    [Activity]
    public Task<AudienceResult> AddToAudiencesAsync(AudienceRequest request) => Permanent(() => AddAsync(request));

    [Activity]
    public Task<AudienceResult> RemoveFromAudiencesAsync(AudienceRequest request) => Permanent(() => RemoveAsync(request));

    private async Task<SendResult> SendAsync(SendRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var cancellationToken = Cancellation;
        var rule = RuleFor(request.Channel);
        var head = new MessageHead
        {
            IdempotencyKey = request.IdempotencyKey,
            CustomerId = request.CustomerId,
            Journey = request.Journey,
            EntryKey = request.EntryKey,
            Channel = request.Channel,
            Step = request.Step,
        };

        // A retry of a send that already went out (or was decided against) answers as the first attempt did.
        if (await messages.FindAsync(request.IdempotencyKey, cancellationToken) is { } earlier && Decided(earlier) is { } earlierResult)
        {
            return earlierResult;
        }

        var customer = await customers.FindAsync(request.CustomerId, cancellationToken);
        if (request.Gate is { } gate && await GateAsync(request, head, gate, customer, cancellationToken) is { } notNow)
        {
            return notNow;
        }

        var reason = customer is null ? Reasons.NoAddress : rule.IneligibleReason(customer);
        if (reason is not null)
        {
            var skipped = await messages.RecordDecisionAsync(head, "skipped", reason, cancellationToken: cancellationToken);
            logger.LogInformation(
                "Skipped {Channel} for customer {CustomerId}: {Reason} (key {IdempotencyKey})",
                request.Channel, request.CustomerId, reason, request.IdempotencyKey);
            return Decided(skipped) ?? throw InProgress(request.IdempotencyKey);
        }

        // The row is written before the provider call: whatever happens next, the key is taken.
        var messageId = await messages.ClaimAsync(
            head, JsonSerializer.Serialize(new { request.Items, request.CartValue, request.Currency }, Json), SendLease, cancellationToken);
        if (messageId is not { } id)
        {
            var current = await messages.FindAsync(request.IdempotencyKey, cancellationToken);
            return (current is null ? null : Decided(current)) ?? throw InProgress(request.IdempotencyKey);
        }

        var sender = channelSenders.For(request.Channel);
        var outbound = WithTracking(new OutboundMessage
        {
            MessageId = id,
            IdempotencyKey = request.IdempotencyKey,
            Channel = request.Channel,
            Journey = request.Journey,
            Step = request.Step,
            Customer = customer!,
            Items = request.Items,
            CartValue = request.CartValue,
            Currency = request.Currency,
        });
        ProviderReceipt receipt;
        try
        {
            receipt = await sender.SendAsync(outbound, cancellationToken);
        }
        catch (Exception e)
        {
            // Release the key for the next attempt; the failure type is logged and stored, its message may hold an address.
            var errorType = (e as ApplicationFailureException)?.ErrorType;
            await messages.MarkFailedAsync(id, errorType ?? e.GetType().Name, CancellationToken.None);
            logger.LogWarning(
                "Send {Channel} through {Provider} failed for customer {CustomerId} (key {IdempotencyKey}): {ErrorType}",
                request.Channel, sender.Provider, request.CustomerId, request.IdempotencyKey, errorType ?? e.GetType().Name);
            if (!ProviderErrors.MarksPropertyInvalid(errorType) && ProviderErrors.SkipsSend(errorType))
            {
                return await SkipRefusedAsync(request, head, customer!, sender.Provider, errorType!);
            }

            if (errorType == ProviderErrors.ProviderMisconfigured)
            {
                // Every send through this provider fails the same way until an operator fixes the configuration.
                logger.LogError(
                    "{Provider} refuses our configuration ({ErrorType}); {Channel} sends fail until it is fixed (key {IdempotencyKey})",
                    sender.Provider, errorType, request.Channel, request.IdempotencyKey);
            }

            var failure = ProviderErrors.MarksPropertyInvalid(errorType) ? await InvalidatePropertyAsync(request, (ApplicationFailureException)e) : e;

            // A failure a retry cannot fix becomes non-retryable, its text naming no value; any other failure's message
            // goes into the workflow history, which erasure cannot reach: no address or token.
            if (PermanentFailure.From(failure) is { } permanent)
            {
                throw permanent;
            }

            if (PersonalData.Scrubbed(failure, customer) is { } scrubbed)
            {
                throw scrubbed;
            }

            if (ReferenceEquals(failure, e))
            {
                throw;
            }

            throw failure;
        }

        // The provider has the message: the row must say so even if the activity is cancelled right now, or the
        // next attempt would find it pending (or failed) and send it again.
        await messages.MarkSentAsync(id, receipt.Provider, receipt.ProviderMessageId, time.GetUtcNow(), CancellationToken.None);
        var result = new SendResult { Status = "sent", MessageId = id, ProviderMessageId = receipt.ProviderMessageId };
        if (observer is not null)
        {
            await observer.SentLoggedAsync(request, result, cancellationToken);
        }

        return result;
    }

    private async Task RecordDecisionCoreAsync(DecisionRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!DecisionStatuses.Contains(record.Status))
        {
            throw new ApplicationFailureException(
                $"Unknown decision status '{record.Status}'.", errorType: "InvalidDecision", nonRetryable: true);
        }

        var head = new MessageHead
        {
            IdempotencyKey = record.IdempotencyKey,
            CustomerId = record.CustomerId,
            Journey = record.Journey,
            Channel = record.Channel,
            Step = record.Step,
        };
        await messages.RecordDecisionAsync(head, record.Status, record.Reason, record.Until, Cancellation);
    }

    private async Task<AudienceResult> AddAsync(AudienceRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var cancellationToken = Cancellation;
        var now = time.GetUtcNow();
        var added = (await audiences.ForKeyAsync(request.IdempotencyKey, cancellationToken)).Select(m => m.Audience).ToHashSet();
        var all = audienceSenders.All;
        if (all.All(s => added.Contains(s.Audience)))
        {
            return new AudienceResult { Audiences = [.. all.Select(s => s.Audience)] };
        }

        var customer = await customers.FindAsync(request.CustomerId, cancellationToken);
        var reason = customer switch
        {
            null => Reasons.NoAddress,
            _ when !customer.HasConsent(Consents.Ads) => Reasons.NoConsent,
            _ when !customer.EmailValid || !EmailChannel.IsValidAddress(customer.Email) => Reasons.NoAddress,
            _ when added.Count == 0 && await audiences.AddedSinceAsync(customer.Id, now - AudienceCooldown, request.IdempotencyKey, cancellationToken)
                => Reasons.RecentlyInAudience,
            _ => null,
        };
        if (reason is not null)
        {
            logger.LogInformation("Not adding customer {CustomerId} to audiences: {Reason}", request.CustomerId, reason);
            return new AudienceResult { Reason = reason };
        }

        // Provider first, then the membership row: adding the same hashed email twice is harmless at the
        // providers, while a row without the addition would make a retry skip it.
        foreach (var sender in all.Where(s => !added.Contains(s.Audience)))
        {
            try
            {
                await sender.AddAsync(customer!.Id, customer.Email!, request.IdempotencyKey, cancellationToken);
            }
            catch (Exception e) when (PersonalData.Scrubbed(e, customer) is { } scrubbed)
            {
                throw scrubbed;
            }

            // The hash the provider matched is kept, so removal works after the email changed or was erased.
            var hash = AudienceSenders.HashEmail(sender.Audience, customer.Email!);
            await audiences.RecordAddedAsync(customer.Id, sender.Audience, request.IdempotencyKey, now, hash, cancellationToken);
        }

        return new AudienceResult { Audiences = [.. all.Select(s => s.Audience)] };
    }

    private async Task<AudienceResult> RemoveAsync(AudienceRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var cancellationToken = Cancellation;
        var memberships = await audiences.ForKeyAsync(request.IdempotencyKey, cancellationToken);
        if (memberships.Count == 0)
        {
            return new AudienceResult { Reason = NotInAudience };
        }

        var customer = await customers.FindAsync(request.CustomerId, cancellationToken);
        foreach (var membership in memberships.Where(m => m.RemovedAt is null))
        {
            // The provider matches the hash it was added with; memberships recorded before hashes were kept fall back
            // to the current email.
            var hash = membership.MemberHash ?? (customer?.Email is { } email ? AudienceSenders.HashEmail(membership.Audience, email) : null);
            if (hash is not null)
            {
                await audienceSenders.For(membership.Audience).RemoveHashedAsync(request.CustomerId, hash, request.IdempotencyKey, cancellationToken);
            }
            else
            {
                logger.LogWarning("Customer {CustomerId} has no email left; {Audience} membership closed without a provider call", request.CustomerId, membership.Audience);
            }

            await audiences.RecordRemovedAsync(membership.Audience, request.IdempotencyKey, time.GetUtcNow(), cancellationToken);
        }

        return new AudienceResult { Audiences = [.. memberships.Select(m => m.Audience)] };
    }

    private async Task<SendContext> ReadSendContextAsync(string customerId, string journey, CustomerProfile? customer, CancellationToken cancellationToken)
    {
        var settings = await journeys.GetSettingsAsync(journey, cancellationToken);
        var last = await messages.LastSentAsync(customerId, journey, cancellationToken);
        return new SendContext
        {
            JourneyEnabled = settings.Enabled,
            HoldoutPercent = settings.HoldoutPercent,
            TimeZone = customer?.TimeZone,
            LastJourneyMessageAt = last.ThisJourney,
            LastOtherJourneyMessageAt = last.OtherJourneys,
        };
    }

    /// <summary>
    /// The journey switch, cross-journey cap and quiet hours at send time: a <c>stopped</c> or <c>deferred</c> result,
    /// recorded in the message log under the request's decision key, or null when the message may go now.
    /// </summary>
    private async Task<SendResult?> GateAsync(
        SendRequest request, MessageHead head, SendGatePolicy gate, CustomerProfile? customer, CancellationToken cancellationToken)
    {
        var context = await ReadSendContextAsync(request.CustomerId, request.Journey, customer, cancellationToken);
        var result = SendGate.RefusalAt(time.GetUtcNow(), context, gate);
        if (result is null)
        {
            return null;
        }

        // The decision has a row of its own: the send's key stays free for the send that follows the wait.
        var decision = head with { IdempotencyKey = request.DecisionKey ?? $"{request.IdempotencyKey}:{result.Status}" };
        await messages.RecordDecisionAsync(decision, result.Status, result.Reason!, result.Until, cancellationToken);
        logger.LogInformation(
            "Not sending {Channel} for customer {CustomerId} now: {Status} ({Reason}) until {Until}",
            request.Channel, request.CustomerId, result.Status, result.Reason, result.Until);
        return result;
    }

    /// <summary>
    /// The provider refused the address or token: mark it so eligibility skips this channel from now on, and fail
    /// without retry so the journey gives the turn to its next channel.
    /// </summary>
    private async Task<ApplicationFailureException> InvalidatePropertyAsync(SendRequest request, ApplicationFailureException failure)
    {
        var property = failure.Details.Count > 0 ? failure.Details.ElementAt<string>(0) : null;
        if (property is not null)
        {
            await customers.MarkPropertyInvalidAsync(request.CustomerId, property, CancellationToken.None);
            logger.LogInformation(
                "Marked {Property} of customer {CustomerId} unusable after {ErrorType} on {Channel}",
                property, request.CustomerId, failure.ErrorType, request.Channel);
        }

        return failure.NonRetryable
            ? failure
            : new ApplicationFailureException(failure.Message, failure, failure.ErrorType, nonRetryable: true, details: property is null ? null : [property]);
    }

    /// <summary>
    /// The provider's refusal is a decision about the recipient (opted out at the provider, an endpoint we will not
    /// call): records the send as skipped rather than failed, and for an opt-out withdraws the channel's consent, for
    /// every customer with that phone number when it is SMS (the opt-out belongs to the number).
    /// </summary>
    private async Task<SendResult> SkipRefusedAsync(SendRequest request, MessageHead head, CustomerProfile customer, string provider, string errorType)
    {
        var reason = Reasons.NoConsent;
        if (errorType == ProviderErrors.RecipientOptedOut)
        {
            var consent = ConsentOf(request.Channel);
            var now = time.GetUtcNow();
            var withdrawn = 1;
            if (request.Channel == Workflows.Channels.Sms && customer.Phone is { } phone)
            {
                withdrawn = await customers.WithdrawConsentByPhoneAsync(phone, consent, now, provider, CancellationToken.None);
            }
            else
            {
                await customers.SetConsentAsync(customer.Id, consent, granted: false, now, provider, CancellationToken.None);
            }

            logger.LogInformation(
                "Customer {CustomerId} opted out of {Channel} at the provider: {Consent} consent withdrawn for {Count} customer(s)",
                request.CustomerId, request.Channel, consent, withdrawn);
        }
        else
        {
            reason = Reasons.EndpointNotAllowed;
        }

        var skipped = await messages.RecordDecisionAsync(head, "skipped", reason, cancellationToken: CancellationToken.None);
        return Decided(skipped) ?? throw InProgress(request.IdempotencyKey);
    }

    private static string ConsentOf(string channel) => channel switch
    {
        Workflows.Channels.Email => Consents.Email,
        Workflows.Channels.Sms => Consents.Sms,
        Workflows.Channels.Line => Consents.Line,
        _ => Consents.Push,
    };

    /// <summary>Signed links to the cart (every channel) and, for email, the open pixel; none while tracking is not configured.</summary>
    private OutboundMessage WithTracking(OutboundMessage message)
    {
        if (!tracking.Enabled)
        {
            return message;
        }

        var token = new TrackingToken
        {
            Kind = TrackingToken.Click,
            MessageId = message.MessageId,
            IdempotencyKey = message.IdempotencyKey,
            CustomerId = message.Customer.Id,
            Channel = message.Channel,
            Target = tracking.CartUrl ?? message.Items.Select(i => i.Url).FirstOrDefault(TrackingOptions.IsHttpUrl),
        };
        return message with
        {
            ClickUrl = token.Target is null ? null : tracking.Url(token),
            OpenPixelUrl = message.Channel == Workflows.Channels.Email ? tracking.Url(token with { Kind = TrackingToken.Open, Target = null }) : null,
        };
    }

    private static async Task<T> Permanent<T>(Func<Task<T>> activity)
    {
        try
        {
            return await activity();
        }
        catch (Exception e) when (PermanentFailure.From(e) is { } permanent)
        {
            throw permanent;
        }
    }

    private static Task Permanent(Func<Task> activity) => Permanent(async () =>
    {
        await activity();
        return true;
    });

    private static IChannelRule RuleFor(string channel)
    {
        try
        {
            return ChannelRules.For(channel);
        }
        catch (ArgumentException)
        {
            throw new ApplicationFailureException($"Unknown channel '{channel}'.", errorType: "UnknownChannel", nonRetryable: true);
        }
    }

    /// <summary>The result a row already stands for, or null while it is pending, failed or deferred (still to send).</summary>
    private static SendResult? Decided(MessageRow row) => row.Status switch
    {
        "sent" => new SendResult { Status = "sent", MessageId = row.Id, ProviderMessageId = row.ProviderMessageId },
        "skipped" or "capped" or "holdout" or "stopped" => SendResult.Skipped(row.Reason ?? row.Status) with { MessageId = row.Id },
        _ => null,
    };

    /// <summary>Retryable: another attempt holds the key; by the next retry it has sent or released it.</summary>
    private static ApplicationFailureException InProgress(string key) =>
        new($"A send under key '{key}' is in progress.", errorType: "SendInProgress", nextRetryDelay: TimeSpan.FromSeconds(5));
}

/// <summary>
/// Sees each send right after its row was committed as <c>sent</c>, before the activity returns. Not registered in
/// production; tests register one to crash the attempt at exactly that point.
/// </summary>
public interface ISendObserver
{
    Task SentLoggedAsync(SendRequest request, SendResult result, CancellationToken cancellationToken);
}
