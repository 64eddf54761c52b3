using AbandonedCart.Workflows;

namespace AbandonedCart.Activities.Customers;

/// <summary>A customer's channel properties and current consents, as read at send time.</summary>
public sealed record CustomerProfile
{
    public required string Id { get; init; }

    public string? Email { get; init; }

    public bool EmailValid { get; init; } = true;

    public string? Phone { get; init; }

    public bool PhoneValid { get; init; } = true;

    public string? TimeZone { get; init; }

    public string? FcmToken { get; init; }

    public string? ApnsToken { get; init; }

    public string? HuaweiToken { get; init; }

    public WebPushSubscription? WebPush { get; init; }

    public string? LineUserId { get; init; }

    /// <summary>Consent categories currently granted (see <see cref="Consents"/>).</summary>
    public IReadOnlySet<string> Consents { get; init; } = new HashSet<string>();

    public bool HasConsent(string category) => Consents.Contains(category);
}

/// <summary>A browser push subscription (RFC 8030 endpoint with the RFC 8291 keys, base64url).</summary>
public sealed record WebPushSubscription(string Endpoint, string P256dh, string Auth);
