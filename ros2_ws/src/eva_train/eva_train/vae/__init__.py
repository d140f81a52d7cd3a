"""Training the video autoencoder (a small diffusers `AutoencoderKLWan`) of the twin-scale world model."""
