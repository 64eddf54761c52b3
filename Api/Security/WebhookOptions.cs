namespace AbandonedCart.Api.Security;

/// <summary>Section <c>Webhooks</c>: the secret storefronts sign <c>POST /v1/events</c> with (never logged).</summary>
public sealed class WebhookOptions
{
    public const string Section = "Webhooks";

    public string SigningSecret { get; set; } = string.Empty;
}

/// <summary>Section <c>Shopify</c>: the app's webhook secret, which Shopify signs every webhook with (never logged).</summary>
public sealed class ShopifyOptions
{
    public const string Section = "Shopify";

    public string WebhookSecret { get; set; } = string.Empty;

    /// <summary>
    /// How old (by <c>X-Shopify-Triggered-At</c>) a webhook may be when it arrives; Shopify retries a failed delivery
    /// for about 4 hours, so older is a replay.
    /// </summary>
    public TimeSpan MaxWebhookAge { get; set; } = TimeSpan.FromHours(48);
}
