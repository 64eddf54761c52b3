namespace AbandonedCart.Activities.Customers;

/// <summary>
/// A change of a customer's channel properties from <c>customer_updated</c> or <c>PUT /v1/customers/{id}</c>: only the
/// properties in <see cref="Values"/> change (a null value clears one). Keys are <see cref="ProfileProperties"/>.
/// </summary>
public sealed record ProfileChange
{
    public required string CustomerId { get; init; }

    public required IReadOnlyDictionary<string, string?> Values { get; init; }

    /// <summary>
    /// When the change happened (the event's own time); a property last set by a newer change keeps its value. Null
    /// (a direct write with no event time, as <c>CustomerStore.UpsertAsync</c>) always applies and leaves the
    /// properties it sets open to any later dated change.
    /// </summary>
    public DateTimeOffset? AsOf { get; init; }
}

/// <summary>The channel properties a storefront or an admin may set, named as in the API's JSON.</summary>
public static class ProfileProperties
{
    public const string Email = "email";
    public const string Phone = "phone";
    public const string TimeZone = "timeZone";
    public const string FcmToken = "pushTokens.fcm";
    public const string ApnsToken = "pushTokens.apns";
    public const string HuaweiToken = "pushTokens.huawei";
    public const string WebPushEndpoint = "webPush.endpoint";
    public const string WebPushP256dh = "webPush.p256dh";
    public const string WebPushAuth = "webPush.auth";
    public const string LineUserId = "lineUserId";

    public static readonly IReadOnlyList<string> All =
        [Email, Phone, TimeZone, FcmToken, ApnsToken, HuaweiToken, WebPushEndpoint, WebPushP256dh, WebPushAuth, LineUserId];
}

/// <summary>One consent category granted or withdrawn, with when and by whom (<c>storefront</c>, <c>api</c>, <c>erasure</c>).</summary>
public sealed record ConsentChange(string Category, bool Granted, DateTimeOffset ChangedAt, string Source);
