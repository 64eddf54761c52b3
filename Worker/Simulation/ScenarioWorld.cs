using AbandonedCart.Activities.Channels;
using AbandonedCart.Activities.Customers;
using AbandonedCart.Workflows;
using AbandonedCart.Workflows.Decisions;

namespace AbandonedCart.Worker.Simulation;

/// <summary>
/// The outside world of a scenario, standing in for PostgreSQL and the providers: the customer's profile and
/// consents as they change over virtual time, the journey switch, earlier and new messages, audience membership.
/// It answers the journey activities with the real eligibility rules (<see cref="ChannelRules"/>) and records the
/// timeline as it goes. Used by <c>simulate</c>, by the offline engine in tests, and by the fake activities on a
/// real test server, so all three tell the same story.
/// </summary>
public sealed class ScenarioWorld
{
    public static readonly IReadOnlyList<string> AudienceNames = ["google", "meta"];

    private readonly Scenario scenario;
    private readonly List<ScenarioSend> sends;
    private readonly Dictionary<string, SendResult> sentByKey = [];
    private readonly List<TimelineEntry> timeline = [];
    private readonly Lock gate = new();
    private CustomerProfile profile;
    private bool journeyEnabled;
    private DateTimeOffset? addedToAudiencesAt;
    private long nextMessageId = 1;

    public ScenarioWorld(Scenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        this.scenario = scenario;
        sends = [.. scenario.History];
        profile = Apply(new CustomerProfile { Id = scenario.Customer.Id }, scenario.Customer);
        journeyEnabled = scenario.JourneyEnabled;
    }

    /// <summary>What happened so far, in order.</summary>
    public IReadOnlyList<TimelineEntry> Timeline
    {
        get
        {
            lock (gate)
            {
                return [.. timeline];
            }
        }
    }

    public CustomerProfile Profile => profile;

    /// <summary>How the journey's activities answer; the names are the <see cref="IJourneyActivities"/> methods without <c>Async</c>.</summary>
    public object? Answer(ActivityCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        return call.Name switch
        {
            "GetSendContext" => GetSendContext(call.Arg<SendContextRequest>(), call.At),
            "SendMessage" => SendMessage(call.Arg<SendRequest>(), call.At),
            "RecordEntry" => null,
            "RecordOutcome" => null,
            "RecordDecision" => RecordDecision(call.Arg<DecisionRecord>(), call.At),
            "AddToAudiences" => AddToAudiences(call.Arg<AudienceRequest>(), call.At),
            "RemoveFromAudiences" => RemoveFromAudiences(call.Arg<AudienceRequest>(), call.At),
            _ => throw new InvalidOperationException($"The scenario world does not know activity '{call.Name}'."),
        };
    }

    public SendContext GetSendContext(SendContextRequest request, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(request);
        lock (gate)
        {
            var messages = sends.Where(s => s.Channel != "audience" && s.SentAt <= at).ToList();
            return new SendContext
            {
                JourneyEnabled = journeyEnabled,
                HoldoutPercent = scenario.HoldoutPercent,
                HoldoutOverride = scenario.Holdout,
                TimeZone = profile.TimeZone,
                LastJourneyMessageAt = messages.Where(s => s.Journey == request.Journey).Select(s => (DateTimeOffset?)s.SentAt).Max(),
                LastOtherJourneyMessageAt = messages.Where(s => s.Journey != request.Journey).Select(s => (DateTimeOffset?)s.SentAt).Max(),
            };
        }
    }

    /// <summary>Eligibility is checked now, against the profile as it is at this virtual time; a key already sent is not sent twice.</summary>
    public SendResult SendMessage(SendRequest request, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(request);
        lock (gate)
        {
            if (sentByKey.TryGetValue(request.IdempotencyKey, out var earlier))
            {
                return earlier;
            }

            if (request.Gate is { } policy && Gate(request, policy, at) is { } notNow)
            {
                return notNow;
            }

            var reason = ChannelRules.IneligibleReason(request.Channel, profile);
            SendResult result;
            if (reason is null)
            {
                result = new SendResult { Status = "sent", MessageId = nextMessageId++ };
                sends.Add(new ScenarioSend(request.Journey, request.Channel, at));
                timeline.Add(new TimelineEntry { Time = at, Kind = "send", Channel = request.Channel, Step = request.Step });
            }
            else
            {
                result = SendResult.Skipped(reason);
                timeline.Add(new TimelineEntry { Time = at, Kind = "skip", Channel = request.Channel, Reason = reason });
            }

            sentByKey[request.IdempotencyKey] = result;
            return result;
        }
    }

    /// <summary>The send activity's own check of the switch, cross-journey cap and quiet hours (a gated send).</summary>
    private SendResult? Gate(SendRequest request, SendGatePolicy policy, DateTimeOffset at)
    {
        var context = GetSendContext(new SendContextRequest { CustomerId = request.CustomerId, Journey = request.Journey }, at);
        var result = SendGate.RefusalAt(at, context, policy);
        if (result is not null)
        {
            RecordDecision(
                new DecisionRecord
                {
                    IdempotencyKey = request.DecisionKey ?? $"{request.IdempotencyKey}:{result.Status}",
                    CustomerId = request.CustomerId,
                    Journey = request.Journey,
                    Status = result.Status,
                    Reason = result.Reason!,
                    Channel = request.Channel,
                    Step = request.Step,
                    Until = result.Until,
                },
                at);
        }

        return result;
    }

    public object? RecordDecision(DecisionRecord record, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (gate)
        {
            timeline.Add(new TimelineEntry
            {
                Time = at,
                Kind = record.Status == "deferred" ? "defer" : record.Status,
                Channel = record.Channel,
                Reason = record.Reason,
                UntilTime = record.Until,
            });
            return null;
        }
    }

    /// <summary>Google and Meta audiences: valid email, ads consent, and not added in the last 14 days.</summary>
    public AudienceResult AddToAudiences(AudienceRequest request, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(request);
        lock (gate)
        {
            if (addedToAudiencesAt is not null)
            {
                return new AudienceResult { Audiences = AudienceNames };
            }

            var reason = !profile.HasConsent(Consents.Ads) ? Reasons.NoConsent
                : !EmailChannel.IsValidAddress(profile.Email) ? Reasons.NoAddress
                : sends.Any(s => s.Channel == "audience" && s.SentAt > at - AbandonedCartJourney.Default.AudienceDuration && s.SentAt <= at)
                    ? Reasons.RecentlyInAudience
                    : null;
            if (reason is not null)
            {
                return new AudienceResult { Reason = reason };
            }

            addedToAudiencesAt = at;
            sends.Add(new ScenarioSend(request.Journey, "audience", at));
            timeline.Add(new TimelineEntry { Time = at, Kind = "audience_add", Audiences = AudienceNames });
            return new AudienceResult { Audiences = AudienceNames };
        }
    }

    public AudienceResult RemoveFromAudiences(AudienceRequest request, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(request);
        lock (gate)
        {
            if (addedToAudiencesAt is null)
            {
                return new AudienceResult { Reason = "not_added" };
            }

            addedToAudiencesAt = null;
            timeline.Add(new TimelineEntry { Time = at, Kind = "audience_remove", Audiences = AudienceNames });
            return new AudienceResult { Audiences = AudienceNames };
        }
    }

    /// <summary>Applies a scenario event that changes the world rather than signalling the workflow.</summary>
    public void Change(ScenarioEvent change)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (gate)
        {
            switch (change.Type)
            {
                case ScenarioEvent.ConsentWithdrawn:
                    profile = profile with { Consents = profile.Consents.Where(c => c != change.Consent).ToHashSet() };
                    break;
                case ScenarioEvent.ConsentGranted:
                    profile = profile with { Consents = profile.Consents.Append(change.Consent!).ToHashSet() };
                    break;
                case ScenarioEvent.JourneyStopped:
                    journeyEnabled = false;
                    break;
                case ScenarioEvent.CustomerUpdated:
                    profile = Apply(profile, change.Customer!);
                    break;
                default:
                    throw new InvalidOperationException($"{change.Type} is a signal, not a change of the world.");
            }
        }
    }

    /// <summary>Records a timer the journey started, so a preview shows what it waits for and until when.</summary>
    public void Wait(DateTimeOffset at, DateTimeOffset until, string? summary)
    {
        lock (gate)
        {
            timeline.Add(new TimelineEntry { Time = at, Kind = "wait", UntilTime = until, Summary = summary });
        }
    }

    /// <summary>Records how the journey ended (from the workflow's result).</summary>
    public void End(DateTimeOffset at, string outcome)
    {
        lock (gate)
        {
            timeline.Add(new TimelineEntry { Time = at, Kind = "end", Outcome = outcome });
        }
    }

    /// <summary>Sets the properties <paramref name="update"/> has; consents replace the set when given.</summary>
    private static CustomerProfile Apply(CustomerProfile profile, ScenarioCustomer update) => profile with
    {
        Email = update.Email ?? profile.Email,
        Phone = update.Phone ?? profile.Phone,
        TimeZone = update.TimeZone ?? profile.TimeZone,
        FcmToken = update.PushTokens?.Fcm ?? profile.FcmToken,
        ApnsToken = update.PushTokens?.Apns ?? profile.ApnsToken,
        HuaweiToken = update.PushTokens?.Huawei ?? profile.HuaweiToken,
        WebPush = update.WebPush is { } web ? new WebPushSubscription(web.Endpoint, web.P256dh, web.Auth) : profile.WebPush,
        LineUserId = update.LineUserId ?? profile.LineUserId,
        Consents = update.Consents.Count > 0 ? update.Consents.ToHashSet() : profile.Consents,
    };
}
